package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"helpline/chat"
	"helpline/cmd/internal/server"
)

// keysCommand runs `helpline keys status` and `helpline keys rotate` (the
// same as `helpline rotate-keys`).
func keysCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 1 && args[0] == "status":
		return keyStatus(ctx, getenv, stdout, stderr)
	case len(args) == 1 && args[0] == "rotate":
		return rotateKeys(ctx, getenv, stdout, stderr)
	}
	return errors.New("usage: helpline keys status|rotate")
}

// openSealed connects to the PostgreSQL store for the key commands. In
// in-memory mode nothing is sealed: it says so on stdout and returns nil.
func openSealed(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) (*server.Server, error) {
	cfg, err := server.LoadConfig(getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	if cfg.DatabaseURL == "" {
		fmt.Fprintln(stdout, server.ErrNothingSealed)
		return nil, nil
	}
	cfg.Demo = false
	return server.Open(ctx, cfg, server.NewLogger(stderr, "warn"), stdout)
}

func keyStatus(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	srv, err := openSealed(ctx, getenv, stdout, stderr)
	if err != nil || srv == nil {
		return err
	}
	defer srv.Close()
	counts, err := srv.KeyStatus(ctx)
	if err != nil {
		return err
	}
	printKeyCounts(stdout, srv.EncryptionKeys(), counts)
	current := srv.EncryptionKeys().CurrentKey()
	if old := rowsNotUnder(current, counts); old > 0 {
		fmt.Fprintf(stdout, "%s still sealed under keys other than %s: run `helpline rotate-keys`, and keep those keys in HELPLINE_ENCRYPTION_KEYS until this shows none under them.\n", rowCount(old), current)
	} else {
		fmt.Fprintf(stdout, "nothing is sealed under a key other than %s: the other keys may be removed from HELPLINE_ENCRYPTION_KEYS.\n", current)
	}
	return nil
}

func rotateKeys(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	srv, err := openSealed(ctx, getenv, stdout, stderr)
	if err != nil || srv == nil {
		return err
	}
	defer srv.Close()
	keys := srv.EncryptionKeys()
	report, err := srv.RotateKeys(ctx, 0)
	var incomplete *chat.RotationIncomplete
	if err != nil && !errors.As(err, &incomplete) {
		return fmt.Errorf("key rotation stopped (what is re-sealed stays so; run `helpline rotate-keys` again): %w", err)
	}
	for _, col := range chat.SealedColumns {
		fmt.Fprintf(stdout, "%s: re-sealed %s under %s\n", col.Label(), rowCount(report.Resealed[col.Label()]), keys.CurrentKey())
	}
	if counts, serr := srv.KeyStatus(ctx); serr == nil {
		printKeyCounts(stdout, keys, counts)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done: nothing is left under an old key; keys other than %s may now be removed from HELPLINE_ENCRYPTION_KEYS.\n", keys.CurrentKey())
	return nil
}

// printKeyCounts prints one line per sealed column and key: "messages  k1  1203".
func printKeyCounts(w io.Writer, keys *chat.Sealer, counts []chat.KeyCount) {
	if len(counts) == 0 {
		fmt.Fprintln(w, "nothing is sealed yet")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tKEY\tROWS\t")
	for _, c := range counts {
		note := ""
		switch {
		case c.KeyID == keys.CurrentKey():
			note = "current key"
		case !keys.HasKey(c.KeyID):
			note = "NOT in HELPLINE_ENCRYPTION_KEYS: these rows cannot be opened"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", c.Column, c.KeyID, c.Rows, note)
	}
	tw.Flush()
}

func rowsNotUnder(current string, counts []chat.KeyCount) int64 {
	var n int64
	for _, c := range counts {
		if c.KeyID != current {
			n += c.Rows
		}
	}
	return n
}

func rowCount(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}
