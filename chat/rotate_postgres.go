package chat

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DefaultRotateBatch is how many rows one rotation transaction re-seals.
const DefaultRotateBatch = 500

// rotatePasses bounds how often rotation goes through a table again after a
// pass that still found rows to re-seal (rows written meanwhile under an old
// key, or skipped because a concurrent rotation held them).
const rotatePasses = 10

// KeyCount is how many rows of a sealed column are sealed under one key.
type KeyCount struct {
	Column string // SealedColumn.Label
	KeyID  string
	Rows   int64
}

// Unopenable counts the rows of a sealed column under one old key that could
// not be opened, with the first reason.
type Unopenable struct {
	Column string
	KeyID  string
	Rows   int64
	Cause  error
}

// RotationReport says what a rotation did and what is still under old keys.
type RotationReport struct {
	CurrentKey string
	Resealed   map[string]int64 // rows re-sealed, by SealedColumn.Label
	Unopenable []Unopenable
	// Left is every row not under CurrentKey once rotation finished,
	// counted afresh from the database: rotation is done only when it is
	// empty.
	Left    []KeyCount
	counted bool // Left was counted: rotation went through every table
}

// Done tells whether rotation went through every table and found nothing
// left under a key other than the current one.
func (r RotationReport) Done() bool { return r.counted && len(r.Left) == 0 }

// RotationIncomplete is the error of a rotation that left rows under old
// keys; its text says which and what to do.
type RotationIncomplete struct{ Report RotationReport }

func (e *RotationIncomplete) Error() string {
	var b strings.Builder
	r := e.Report
	fmt.Fprintf(&b, "key rotation is NOT done: rows are still sealed under keys other than %s, so do not remove any key yet.\n", r.CurrentKey)
	var unopenable int64
	for _, l := range r.Left {
		fmt.Fprintf(&b, "  %s under %s: %s left", l.Column, l.KeyID, rowCount(l.Rows))
		for _, u := range r.Unopenable {
			if u.Column == l.Column && u.KeyID == l.KeyID {
				unopenable += u.Rows
				fmt.Fprintf(&b, "; %d could not be opened: %v", u.Rows, u.Cause)
			}
		}
		b.WriteString("\n")
	}
	if unopenable > 0 {
		b.WriteString("Rows that cannot be opened: add the key they were sealed with to HELPLINE_ENCRYPTION_KEYS (after the current one) and run `helpline rotate-keys` again. " +
			"If that key is already there, those rows are damaged and nobody can read them; keep the key until they are gone (they are deleted with their conversation after HELPLINE_RETENTION_DAYS).\n")
	}
	if leftRows(r.Left) > unopenable {
		fmt.Fprintf(&b, "Other rows were written under an old key while rotation ran, or were held by a rotation running at the same time: "+
			"make sure every instance runs with %s first in HELPLINE_ENCRYPTION_KEYS, then run `helpline rotate-keys` again.\n", r.CurrentKey)
	}
	b.WriteString("Check with `helpline keys status`.")
	return b.String()
}

func rowCount(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

func leftRows(counts []KeyCount) int64 {
	var n int64
	for _, c := range counts {
		n += c.Rows
	}
	return n
}

// KeyStatus counts, for every sealed column, the rows under each key id.
func (s *PostgresStore) KeyStatus(ctx context.Context) ([]KeyCount, error) {
	var out []KeyCount
	for _, col := range SealedColumns {
		key := ident(col.KeyColumn)
		rows, err := s.pool.Query(ctx, `SELECT `+key+`, count(*) FROM `+ident(col.Table)+` GROUP BY 1 ORDER BY 1`)
		if err != nil {
			return nil, fmt.Errorf("counting rows of %s by key: %w", col.Label(), err)
		}
		for rows.Next() {
			c := KeyCount{Column: col.Label()}
			if err := rows.Scan(&c.KeyID, &c.Rows); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RotateKeys re-seals with the current key every row of every sealed column
// that is sealed under another key, batchSize rows per transaction (0:
// DefaultRotateBatch). It is safe while the service runs and to run again
// after an interruption; concurrent rotations skip the rows another one
// holds. It returns a *RotationIncomplete error when any row is left under
// an old key, including rows it could not open.
func (s *PostgresStore) RotateKeys(ctx context.Context, batchSize int) (RotationReport, error) {
	if batchSize <= 0 {
		batchSize = DefaultRotateBatch
	}
	report := RotationReport{CurrentKey: s.seal.CurrentKey(), Resealed: map[string]int64{}}
	for _, col := range SealedColumns {
		for pass := 1; ; pass++ {
			resealed, unopenable, err := s.rotatePass(ctx, col, batchSize)
			report.Resealed[col.Label()] += resealed
			if err != nil {
				return report, err
			}
			// Unopenable rows stay as they are, so every pass meets all of
			// them: the last pass's count is the one to report.
			if resealed == 0 || pass == rotatePasses {
				report.Unopenable = append(report.Unopenable, unopenable...)
				break
			}
		}
	}
	status, err := s.KeyStatus(ctx)
	if err != nil {
		return report, err
	}
	report.counted = true
	for _, c := range status {
		if c.KeyID != report.CurrentKey {
			report.Left = append(report.Left, c)
		}
	}
	if !report.Done() {
		return report, &RotationIncomplete{Report: report}
	}
	return report, nil
}

// rotatePass goes once through col in primary key order, batch by batch.
func (s *PostgresStore) rotatePass(ctx context.Context, col SealedColumn, size int) (int64, []Unopenable, error) {
	var (
		resealed int64
		after    []any
		failed   = map[string]*Unopenable{}
	)
	for {
		b, err := s.rotateBatch(ctx, col, after, size, failed)
		resealed += int64(b.resealed)
		if err != nil {
			return resealed, nil, fmt.Errorf("re-sealing %s: %w", col.Label(), err)
		}
		if b.read < size {
			break
		}
		after = b.last
	}
	var out []Unopenable
	for _, u := range failed {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].KeyID < out[j].KeyID })
	return resealed, out, nil
}

type rotatedBatch struct {
	read, resealed int
	last           []any // primary key of the last row read: the next batch starts after it
}

// rotateBatch re-seals up to size rows of col after the primary key after,
// in one transaction. Rows it cannot open are counted in failed and left as
// they are.
func (s *PostgresStore) rotateBatch(ctx context.Context, col SealedColumn, after []any, size int, failed map[string]*Unopenable) (rotatedBatch, error) {
	var b rotatedBatch
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return b, err
	}
	defer tx.Rollback(ctx)
	query, args := col.selectOldSQL(s.seal.CurrentKey(), after, size)
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return b, err
	}
	updates := &pgx.Batch{}
	for rows.Next() {
		row, err := col.scanRow(rows)
		if err != nil {
			rows.Close()
			return b, err
		}
		b.read, b.last = b.read+1, row.id
		plain, err := s.seal.Open(row.keyID, row.sealed, row.aad)
		if err != nil {
			countUnopenable(failed, col, row.keyID, err)
			continue
		}
		keyID, sealed := s.seal.Seal(plain, row.aad)
		updates.Queue(col.updateSQL(), append([]any{keyID, sealed, row.keyID}, row.id...)...)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, err
	}
	if b.resealed, err = execCounting(ctx, tx, updates); err != nil {
		return rotatedBatch{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return rotatedBatch{}, err
	}
	return b, nil
}

// execCounting runs the updates and returns how many rows they changed.
func execCounting(ctx context.Context, tx pgx.Tx, updates *pgx.Batch) (int, error) {
	if updates.Len() == 0 {
		return 0, nil
	}
	results := tx.SendBatch(ctx, updates)
	defer results.Close()
	changed := 0
	for range updates.Len() {
		tag, err := results.Exec()
		if err != nil {
			return 0, err
		}
		changed += int(tag.RowsAffected())
	}
	return changed, results.Close()
}

func countUnopenable(failed map[string]*Unopenable, col SealedColumn, keyID string, err error) {
	u := failed[keyID]
	if u == nil {
		u = &Unopenable{Column: col.Label(), KeyID: keyID, Cause: err}
		failed[keyID] = u
	}
	u.Rows++
}

type sealedRow struct {
	id     []any
	keyID  string
	sealed []byte
	aad    []byte
}

func (c SealedColumn) scanRow(rows pgx.Rows) (sealedRow, error) {
	r := sealedRow{id: make([]any, len(c.IDColumns))}
	dest := make([]any, 0, len(c.IDColumns)+2+len(c.AADColumns))
	for i := range r.id {
		dest = append(dest, &r.id[i])
	}
	aadDest, buildAAD := c.newAAD()
	dest = append(append(dest, &r.keyID, &r.sealed), aadDest...)
	if err := rows.Scan(dest...); err != nil {
		return r, err
	}
	r.aad = buildAAD()
	return r, nil
}

// selectOldSQL reads and locks, in primary key order, the next rows after
// the key after that are sealed under another key than current. Rows another
// transaction holds are skipped, not waited for: a concurrent rotation is
// re-sealing them.
func (c SealedColumn) selectOldSQL(current string, after []any, size int) (string, []any) {
	ids := identList(c.IDColumns)
	cols := append(append(append([]string{}, c.IDColumns...), c.KeyColumn, c.DataColumn), c.AADColumns...)
	where := ident(c.KeyColumn) + ` <> $1`
	args := []any{current, size}
	if after != nil {
		where += ` AND (` + ids + `) > (` + placeholders(3, len(after)) + `)`
		args = append(args, after...)
	}
	return `SELECT ` + identList(cols) + ` FROM ` + ident(c.Table) + ` WHERE ` + where +
		` ORDER BY ` + ids + ` LIMIT $2 FOR UPDATE SKIP LOCKED`, args
}

// updateSQL stores a re-sealed row: $1 new key id, $2 ciphertext, $3 the key
// it was read under, then the primary key.
func (c SealedColumn) updateSQL() string {
	return `UPDATE ` + ident(c.Table) + ` SET ` + ident(c.KeyColumn) + ` = $1, ` + ident(c.DataColumn) + ` = $2 WHERE ` +
		ident(c.KeyColumn) + ` = $3 AND (` + identList(c.IDColumns) + `) = (` + placeholders(4, len(c.IDColumns)) + `)`
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func identList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = ident(n)
	}
	return strings.Join(out, ", ")
}

func placeholders(from, n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(out, ", ")
}
