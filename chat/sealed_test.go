package chat_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// Every column a migration creates that holds ciphertext must be in
// chat.SealedColumns, or key rotation would leave it under the old key and
// dropping that key would lose it. In this schema ciphertext is bytea (nothing
// else is stored as bytes) with the id of its key in a text column named
// key_id or *_key_id; a column named *_sealed is ciphertext by its name.
func TestEveryCiphertextColumnIsListed(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'goose_db_version' ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{} // "table.column" → type
	for rows.Next() {
		var table, column, typ string
		if err := rows.Scan(&table, &column, &typ); err != nil {
			t.Fatal(err)
		}
		types[table+"."+column] = typ
	}
	if rows.Close(); rows.Err() != nil || len(types) == 0 {
		t.Fatalf("reading the schema: %v (%d columns)", rows.Err(), len(types))
	}

	listed := map[string]bool{} // data and key columns of the list
	for _, c := range chat.SealedColumns {
		listed[c.Table+"."+c.DataColumn], listed[c.Table+"."+c.KeyColumn] = true, true
	}
	for name, typ := range types {
		column := name[strings.Index(name, ".")+1:]
		holdsCiphertext := typ == "bytea" || strings.HasSuffix(column, "_sealed")
		namesAKey := column == "key_id" || strings.HasSuffix(column, "_key_id")
		if (holdsCiphertext || namesAKey) && !listed[name] {
			t.Errorf("%s (%s) looks sealed but is not in chat.SealedColumns: add it there (table, primary key, key id column, ciphertext column, AAD), "+
				"so that `helpline rotate-keys` re-seals it", name, typ)
		}
	}
}

// Each entry of the list names real columns of the right types, and its
// IDColumns are the table's primary key, so that rotation's paging and
// update each reach exactly one row.
func TestSealedColumnsMatchTheSchema(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	ctx := context.Background()
	for _, c := range chat.SealedColumns {
		for column, want := range map[string]string{c.KeyColumn: "text", c.DataColumn: "bytea"} {
			var typ string
			if err := pool.QueryRow(ctx, `SELECT data_type FROM information_schema.columns
				WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, c.Table, column).Scan(&typ); err != nil || typ != want {
				t.Errorf("%s.%s: type %q, %v; want %s", c.Table, column, typ, err, want)
			}
		}
		var primaryKey []string
		if err := pool.QueryRow(ctx, `SELECT array_agg(a.attname ORDER BY k.n)
			FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
			WHERE i.indrelid = $1::regclass AND i.indisprimary`, c.Table).Scan(&primaryKey); err != nil {
			t.Fatalf("%s: primary key: %v", c.Table, err)
		}
		if !slices.Equal(primaryKey, c.IDColumns) {
			t.Errorf("%s: IDColumns %v, but the primary key is %v", c.Table, c.IDColumns, primaryKey)
		}
		for _, column := range c.AADColumns {
			var n int
			pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns
				WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, c.Table, column).Scan(&n)
			if n != 1 {
				t.Errorf("%s: AAD column %q does not exist", c.Table, column)
			}
		}
	}
}

// The README's key rotation steps name every sealed column, so an operator
// knows what rotation covers, and say to check status before dropping a key.
func TestREADMENamesEverySealedColumn(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ") // lines wrap anywhere
	for _, c := range chat.SealedColumns {
		if name := "`" + c.Table + "." + c.DataColumn + "`"; !strings.Contains(text, name) {
			t.Errorf("README.md does not name the sealed column %s", name)
		}
	}
	for _, s := range []string{"helpline keys status", "helpline rotate-keys", "drop the old key only when status shows none under it"} {
		if !strings.Contains(strings.ToLower(text), s) {
			t.Errorf("README.md's rotation steps lack %q", s)
		}
	}
}
