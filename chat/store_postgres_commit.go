package chat

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// The append statement's parameters are encoded into the plan's own
// buffer, which the plan keeps from batch to batch, and sent with
// pgconn's ExecPrepared. pgx's Query would encode them into a buffer of
// its connection that it cuts back to 256 bytes before every query (so
// that an idle connection holds little): a batch's arrays, a few
// kilobytes, grew it again by doubling each time, the largest allocation
// of the message path. Every collection holds the whole server back for
// the 100–200 ms of its mark (BENCHMARKS.md, "The PostgreSQL tail at
// 5,000 pairs, caught"): the less the message path allocates, the fewer
// of them.

// appendStatementName is the append statement's name on each connection
// (pgx.Conn.Prepare keeps one description per name and connection).
const appendStatementName = "helpline_append"

// paramBufKeep is the largest parameter buffer a pooled plan keeps.
const paramBufKeep = 256 << 10

// binaryFormats are format codes enough for every column of the append
// statement: all binary (foundConv.decode reads them).
var binaryFormats = [16]int16{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}

// commitPlan runs the plan's statement on conn, one of the append
// connections, where it commits as it completes, or one in a transaction,
// and marks in p.states the conversations it wrote to, keeping in p.found
// every one it locked. Either way it must run under its generic plan
// (store_postgres_pool.go). The statement goes on its own, with its own
// Sync: Close reads up to "ready for query", and only then, on the append
// connections, is the commit known; an error PostgreSQL sends after the
// statement's rows (the commit failing) comes back from Close.
func (s *PostgresStore) commitPlan(ctx context.Context, conn *pgx.Conn, p *appendPlan, now time.Time) error {
	err := s.execPlan(ctx, conn, p, now)
	if staleStatement(err) {
		// The connection's statement is gone (a DEALLOCATE) or no
		// longer fits the tables (a migration by another version):
		// PostgreSQL ran nothing. pgx's own query path forgets a
		// statement on any error; here it is forgotten and prepared
		// again, and the plan runs once more.
		if derr := conn.Deallocate(ctx, appendStatementName); derr != nil {
			return errors.Join(err, derr)
		}
		err = s.execPlan(ctx, conn, p, now)
	}
	return err
}

// staleStatement tells whether err is PostgreSQL refusing a prepared
// statement as it was prepared: no longer there (26000) or its plan no
// longer matching the tables (0A000, "cached plan must not change result
// type").
func staleStatement(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "26000" || pgErr.Code == "0A000")
}

// execPlan prepares the statement on conn (once: pgx keeps its
// description by name) and runs it for p.
func (s *PostgresStore) execPlan(ctx context.Context, conn *pgx.Conn, p *appendPlan, now time.Time) error {
	sd, err := conn.Prepare(ctx, appendStatementName, appendSQL)
	if err != nil {
		return err
	}
	if err := p.encodeArgs(conn.TypeMap(), sd, p.args(now, &s.origin)); err != nil {
		return err
	}
	if len(sd.Fields) > len(binaryFormats) {
		return fmt.Errorf("append statement: %d columns, more than the %d formats at hand", len(sd.Fields), len(binaryFormats))
	}
	rr := conn.PgConn().ExecPrepared(ctx, sd.Name, p.params, p.paramFormats, binaryFormats[:len(sd.Fields)])
	p.found = p.found[:0]
	var rowErr error
	for rowErr == nil && rr.NextRow() {
		p.found = append(p.found, foundConv{})
		rowErr = p.readFound(conn.TypeMap(), &p.found[len(p.found)-1], rr.FieldDescriptions(), rr.Values())
	}
	if _, err := rr.Close(); err != nil || rowErr != nil {
		p.found = p.found[:0]
		if err != nil {
			return err
		}
		return rowErr
	}
	for _, f := range p.found {
		if f.applied {
			p.states[p.expect.conv[f.at-1]].applied = true
		}
	}
	return nil
}

// commitOnAppendConn runs commitPlan on one of the append connections.
func (s *PostgresStore) commitOnAppendConn(ctx context.Context, p *appendPlan, now time.Time) error {
	c, err := s.appends.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return s.commitPlan(ctx, c.Conn(), p, now)
}

// encodeArgs encodes args, as sd describes the statement's parameters,
// into p.params, the bytes in p.paramBuf, each in the format pgx's own
// query path would choose for it (m.FormatCodeForOID: binary, but text
// for text).
func (p *appendPlan) encodeArgs(m *pgtype.Map, sd *pgconn.StatementDescription, args []any) error {
	if len(sd.ParamOIDs) != len(args) {
		return fmt.Errorf("append statement: %d parameters described, %d given", len(sd.ParamOIDs), len(args))
	}
	buf := p.paramBuf[:0]
	if buf == nil {
		// Never nil: Encode returns nil for NULL only, and appending an
		// empty value to a nil buffer would look like one.
		buf = make([]byte, 0, 1024)
	}
	p.paramEnd, p.paramFormats = p.paramEnd[:0], p.paramFormats[:0]
	for i, arg := range args {
		format := m.FormatCodeForOID(sd.ParamOIDs[i])
		p.paramFormats = append(p.paramFormats, format)
		out, err := m.Encode(sd.ParamOIDs[i], format, arg, buf)
		if err != nil {
			return fmt.Errorf("append statement, parameter $%d: %w", i+1, err)
		}
		end := -1 // NULL
		if out != nil {
			buf, end = out, len(out)
		}
		p.paramEnd = append(p.paramEnd, end)
	}
	// Sliced only now: buf may have moved while it grew.
	p.paramBuf, p.params = buf, p.params[:0]
	start := 0
	for _, end := range p.paramEnd {
		if end < 0 {
			p.params = append(p.params, nil)
			continue
		}
		p.params = append(p.params, buf[start:end:end])
		start = end
	}
	return nil
}

// readFound reads one row of the append statement into f: by decode, or,
// for a row not as decode expects it, column by column through m.
func (p *appendPlan) readFound(m *pgtype.Map, f *foundConv, fields []pgconn.FieldDescription, v [][]byte) error {
	if !f.decode(fields, v) {
		p.dest = append(p.dest[:0], &f.at, statusScan{&f.seen.status}, &f.seen.counselor, &f.seen.joined, &f.seen.lastSeq, &f.applied)
		if len(fields) != len(p.dest) || len(v) != len(p.dest) {
			return fmt.Errorf("append statement: %d columns, want %d", len(fields), len(p.dest))
		}
		for i, fd := range fields {
			if err := m.Scan(fd.DataTypeOID, fd.Format, v[i], p.dest[i]); err != nil {
				return fmt.Errorf("append statement, column %s: %w", fd.Name, err)
			}
		}
	}
	if f.at < 1 || f.at > int64(len(p.expect.conv)) {
		return fmt.Errorf("append statement: conversation %d of %d", f.at, len(p.expect.conv))
	}
	return nil
}

// roomToSeal makes room in p.sealed for the bodies of the requests todo,
// so that sealing them does not move it: rows.body points into it. (Were
// the room short, the slices already handed out would keep the old array:
// still right, only garbage.)
func (p *appendPlan) roomToSeal(sl *Sealer, batch []Append, todo []int) {
	need := 0
	for _, i := range todo {
		need += sl.SealedLen(len(batch[i].Body))
	}
	p.sealed = slices.Grow(p.sealed[:0], need)
}

// seal seals m's body into p.sealed, bound to its conversation and seq,
// and returns the key and the sealed bytes. The plaintext's copy is wiped
// at once: the plan is kept from batch to batch.
func (p *appendPlan) seal(sl *Sealer, m Message) (keyID string, sealed []byte) {
	p.scratch = appendMessageAAD(p.scratch[:0], m.ConversationID, m.Seq)
	aadLen := len(p.scratch)
	p.scratch = append(p.scratch, m.Body...)
	start := len(p.sealed)
	keyID, p.sealed = sl.SealAppend(p.sealed, p.scratch[aadLen:], p.scratch[:aadLen])
	clear(p.scratch)
	return keyID, p.sealed[start:len(p.sealed):len(p.sealed)]
}

// foundConv is a conversation as the append statement found it: at is
// its place in the plan's expectations, counted from 1.
type foundConv struct {
	at      int64
	seen    convSeen
	applied bool
}

// decode reads a row of the append statement as PostgreSQL sends it in
// binary (bigint, text, bigint, bigint, bigint, boolean), without pgx's
// scan plans; it reports false, leaving the row to Scan, for anything else.
func (f *foundConv) decode(fields []pgconn.FieldDescription, v [][]byte) bool {
	if len(v) != 6 || len(fields) != 6 {
		return false
	}
	for i, fd := range fields {
		if fd.Format != pgx.BinaryFormatCode || v[i] == nil {
			return false
		}
	}
	if fields[0].DataTypeOID != pgtype.Int8OID || fields[1].DataTypeOID != pgtype.TextOID || fields[5].DataTypeOID != pgtype.BoolOID ||
		len(v[0]) != 8 || len(v[5]) != 1 {
		return false
	}
	for i := 2; i <= 4; i++ {
		if fields[i].DataTypeOID != pgtype.Int8OID || len(v[i]) != 8 {
			return false
		}
	}
	f.at = int64(binary.BigEndian.Uint64(v[0]))
	statusScan{&f.seen.status}.ScanBytes(v[1])
	f.seen.counselor, f.seen.joined = int64(binary.BigEndian.Uint64(v[2])), int64(binary.BigEndian.Uint64(v[3]))
	f.seen.lastSeq, f.applied = int64(binary.BigEndian.Uint64(v[4])), v[5][0] != 0
	return true
}
