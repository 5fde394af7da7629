package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"helpline/chat"
	"helpline/cmd/internal/server"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

func keysEnv(url, keys string) func(string) string {
	env := map[string]string{"DATABASE_URL": url, "HELPLINE_ENCRYPTION_KEYS": keys, "HELPLINE_TOKEN_KEYS": servertest.TestTokenKey}
	return func(k string) string { return env[k] }
}

func runCommand(t *testing.T, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, getenv, strings.NewReader(""), &out, io.Discard)
	return out.String(), err
}

func mustSealer(t *testing.T, spec string) *chat.Sealer {
	t.Helper()
	s, err := chat.ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeConversation stores, under keys' current key, a conversation held by
// counsellor 7 with a message from the seeker and a handover note.
func writeConversation(t *testing.T, s *chat.PostgresStore, text, note string) string {
	t.Helper()
	ctx := context.Background()
	c, err := s.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	if res := s.AppendBatch(ctx, []chat.Append{{ConversationID: c.ID, Sender: chat.SenderSeeker, ClientID: "c1", Body: text}}); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if _, _, err := s.Assign(ctx, c.ID, 7, "Ana", 3); err != nil {
		t.Fatal(err)
	}
	if err := s.AddNote(ctx, chat.Note{ConversationID: c.ID, StaffID: 7, StaffName: "Ana", Body: note}); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// The README's steps, through the command: rotate, check status, drop the
// old key; every message and handover note still reads, through the server.
func TestRotateKeysCommandThenDropTheOldKey(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	k1, k2 := chat.NewKey("k1"), chat.NewKey("k2")
	id := writeConversation(t, chat.NewPostgresStore(pool, mustSealer(t, k1), nil), "me preocupa lo que pienso", "Prefiere frases cortas.")

	out, err := runCommand(t, keysEnv(url, k2+","+k1), "keys", "status")
	if err != nil || !strings.Contains(out, "messages  k1   2") || !strings.Contains(out, "notes     k1   1") || !strings.Contains(out, "run `helpline rotate-keys`") {
		t.Fatalf("status before rotation: %v\n%s", err, out)
	}
	out, err = runCommand(t, keysEnv(url, k2+","+k1), "rotate-keys")
	if err != nil || !strings.Contains(out, "messages: re-sealed 2 rows under k2") || !strings.Contains(out, "notes: re-sealed 1 row under k2") || !strings.Contains(out, "done:") {
		t.Fatalf("rotate-keys: %v\n%s", err, out)
	}
	out, err = runCommand(t, keysEnv(url, k2), "keys", "status")
	if err != nil || strings.Contains(out, "k1") || !strings.Contains(out, "notes     k2   1") || !strings.Contains(out, "nothing is sealed under a key other than k2") {
		t.Fatalf("status after rotation, with k1 dropped: %v\n%s", err, out)
	}

	cfg, err := server.LoadConfig(keysEnv(url, k2))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Open(context.Background(), cfg, server.NewLogger(io.Discard, "error"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	notes, err := srv.Chat.Notes(context.Background(), chat.Principal{Role: chat.RoleCounselor, StaffID: 7}, id)
	if err != nil || len(notes) != 1 || notes[0].Body != "Prefiere frases cortas." {
		t.Fatalf("the handover note after dropping k1: %+v, %v", notes, err)
	}
	msgs, err := chat.NewPostgresStore(pool, mustSealer(t, k2), nil).Messages(context.Background(), id, 0, 0)
	if err != nil || len(msgs) != 2 || msgs[0].Body != "me preocupa lo que pienso" {
		t.Fatalf("messages after dropping k1: %+v, %v", msgs, err)
	}
}

// Rows under a key that is not configured are an error a person sees, with
// the table, the key and what to do; the command fails and never says done.
func TestRotateKeysCommandFailsOnRowsItCannotOpen(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	k0, k1, k2 := chat.NewKey("k0"), chat.NewKey("k1"), chat.NewKey("k2")
	writeConversation(t, chat.NewPostgresStore(pool, mustSealer(t, k0), nil), "uno", "nota")
	writeConversation(t, chat.NewPostgresStore(pool, mustSealer(t, k1), nil), "dos", "otra nota")

	out, err := runCommand(t, keysEnv(url, k2+","+k1), "rotate-keys")
	var incomplete *chat.RotationIncomplete
	if !errors.As(err, &incomplete) || strings.Contains(out, "done") {
		t.Fatalf("rotate-keys with rows under a missing key: %v\n%s", err, out)
	}
	for _, s := range []string{"messages under k0: 2 rows left; 2 could not be opened: data sealed with unknown key", "notes under k0: 1 row left; 1 could not be opened",
		"add the key they were sealed with to HELPLINE_ENCRYPTION_KEYS", "do not remove any key"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the error lacks %q:\n%v", s, err)
		}
	}
	if !strings.Contains(out, "notes     k0   1     NOT in HELPLINE_ENCRYPTION_KEYS") || !strings.Contains(out, "notes: re-sealed 1 row under k2") {
		t.Errorf("the output does not show what was done and what is left:\n%s", out)
	}
}

// The in-memory store seals nothing: the key commands say so and succeed.
func TestKeyCommandsInMemoryMode(t *testing.T) {
	for _, args := range [][]string{{"rotate-keys"}, {"keys", "status"}, {"keys", "rotate"}} {
		out, err := runCommand(t, func(string) string { return "" }, args...)
		if err != nil || !strings.Contains(out, "in-memory mode keeps nothing on disk and seals nothing") {
			t.Errorf("%v in memory mode: %v\n%s", args, err, out)
		}
	}
}
