package referral

import (
	"context"
	"fmt"
)

// SealedColumns are the columns this package seals: key rotation must cover
// them (RotateKeys), alongside chat's message bodies.
var SealedColumns = []string{"referral_deliveries.body", "referral_partners.secrets"}

// RotateKeys re-seals every outbox payload and partner secret list not
// sealed with the current key, and returns how many rows it re-sealed.
func (s *PostgresStore) RotateKeys(ctx context.Context) (int, error) {
	total := 0
	for _, t := range []struct {
		table string
		col   string
		aad   func(string) []byte
	}{
		{"referral_deliveries", "body", deliveryAAD},
		{"referral_partners", "secrets", partnerAAD},
	} {
		n, err := s.rotateTable(ctx, t.table, t.col, t.aad)
		total += n
		if err != nil {
			return total, fmt.Errorf("re-sealing %s: %w", t.table, err)
		}
	}
	return total, nil
}

func (s *PostgresStore) rotateTable(ctx context.Context, table, col string, aad func(string) []byte) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT id, key_id, `+col+` FROM `+table+` WHERE key_id <> $1 FOR UPDATE`, s.seal.CurrentKey())
	if err != nil {
		return 0, err
	}
	type resealed struct {
		id, key string
		data    []byte
	}
	var todo []resealed
	for rows.Next() {
		var id, keyID string
		var sealed []byte
		if err := rows.Scan(&id, &keyID, &sealed); err != nil {
			rows.Close()
			return 0, err
		}
		plain, err := s.seal.Open(keyID, sealed, aad(id))
		if err != nil {
			rows.Close()
			return 0, err
		}
		k, d := s.seal.Seal(plain, aad(id))
		todo = append(todo, resealed{id, k, d})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, r := range todo {
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET key_id = $2, `+col+` = $3 WHERE id = $1`, r.id, r.key, r.data); err != nil {
			return 0, err
		}
	}
	return len(todo), tx.Commit(ctx)
}
