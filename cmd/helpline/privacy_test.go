package main

import (
	"context"
	"encoding/hex"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// The privacy test: a whole conversation from a known address, with a known
// user agent and known words, and then a search of everything the server
// kept (its log and every table of its database) for any of them.

const (
	probeAddress   = "127.8.9.10"
	probeUserAgent = "HelplinePrivacyProbe/7.7"
	probeSeekerMsg = "Nunca se lo he contado a nadie: zafiro-4471 en la cocina"
	probeStaffMsg  = "Gracias por confiar en mí, lo hablamos con calma: ámbar-8832"
)

// privateConversation runs a conversation end to end over real HTTP and
// WebSockets, every connection from probeAddress with probeUserAgent, and
// returns the secrets a record of it must not hold.
func privateConversation(t *testing.T, ctx context.Context, srv *servertest.Server) (secrets map[string]string, conversationID string) {
	t.Helper()
	client := newSourcedClient(t, probeAddress, probeUserAgent)
	password := srv.MustAccount(t, "privada", "Consejera Privada", chat.RoleCounselor, 2)

	// The seeker starts, connects and writes while waiting.
	st := call(t, ctx, client.HTTP, "POST", srv.URL+"/api/seeker/conversations", "", map[string]string{"audience": "self", "language": "es"}, nil)
	if st.Status != 201 {
		t.Fatalf("start: %d %s", st.Status, st.Body)
	}
	var started chatclient.Started
	mustJSON(t, st.Body, &started)
	id := started.ConversationID
	s := client.Dial(t, ctx, srv, started.Token)
	if _, err := s.Sync(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	send(t, ctx, s, id, "p-s1", probeSeekerMsg)

	// The counsellor signs in, accepts, reads and answers.
	in := call(t, ctx, client.HTTP, "POST", srv.URL+"/api/staff/login", "", map[string]string{"username": "privada", "password": password}, nil)
	if in.Status != 200 {
		t.Fatalf("login: %d %s", in.Status, in.Body)
	}
	var signedIn chatclient.SignedIn
	mustJSON(t, in.Body, &signedIn)
	c := client.Dial(t, ctx, srv, signedIn.Token)
	accept(t, ctx, c, id)
	send(t, ctx, c, id, "p-c1", probeStaffMsg)
	if m := waitFrame(t, ctx, s, "the answer", func(f chatclient.Frame) bool { return f.Type == "message" && f.Sender == "counselor" }); m.Body != probeStaffMsg {
		t.Fatalf("seeker got %s", m.Raw)
	}
	send(t, ctx, s, id, "p-s2", probeSeekerMsg+" (otra vez)")

	// The seeker ends it; a few requests that tend to be logged, too.
	if err := s.Send(ctx, map[string]any{"type": "end", "conversation_id": id}); err != nil {
		t.Fatal(err)
	}
	waitFrame(t, ctx, c, "the end", func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "ended" })
	call(t, ctx, client.HTTP, "GET", srv.URL+"/api/config", "", nil, nil)
	call(t, ctx, client.HTTP, "GET", srv.URL+"/api/admin/audit", signedIn.Token, nil, nil)
	call(t, ctx, client.HTTP, "POST", srv.URL+"/api/seeker/leave", "", map[string]string{"token": started.Token}, nil)
	call(t, ctx, client.HTTP, "POST", srv.URL+"/api/staff/logout", signedIn.Token, map[string]any{}, nil)

	// Every connection really came from the probe address.
	addrs := client.LocalAddrs()
	if len(addrs) == 0 {
		t.Fatal("no connection was dialled")
	}
	for _, a := range addrs {
		if host, _, _ := net.SplitHostPort(a); host != probeAddress {
			t.Fatalf("a connection came from %s, not %s", a, probeAddress)
		}
	}

	secrets = map[string]string{
		"client address":          probeAddress,
		"user agent":              probeUserAgent,
		"seeker's message":        probeSeekerMsg,
		"counsellor's message":    probeStaffMsg,
		"distinctive word (s)":    "zafiro-4471",
		"distinctive word (c)":    "ámbar-8832",
		"seeker credential":       started.Token,
		"staff token":             signedIn.Token,
		"staff password":          password,
		"seeker signature":        lastSegment(started.Token),
		"staff token signature":   lastSegment(signedIn.Token),
		"message as bytes (hex)":  hex.EncodeToString([]byte("zafiro-4471")),
		"answer as bytes (hex)":   hex.EncodeToString([]byte("ámbar-8832")),
		"password as bytes (hex)": hex.EncodeToString([]byte(password)),
	}
	return secrets, id
}

func lastSegment(token string) string { return token[strings.LastIndex(token, ".")+1:] }

func TestServerLogKeepsNothingIdentifying(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		secrets, _ := privateConversation(t, ctx, srv)
		log := srv.Log.String()
		if !strings.Contains(log, `"route"`) {
			t.Fatalf("the server logged no requests at all (log level?): %.500s", log)
		}
		for what, secret := range secrets {
			if i := strings.Index(log, secret); i >= 0 {
				t.Errorf("the server log holds the %s: …%s…", what, excerpt(log, i, len(secret)))
			}
		}
	})
}

func TestDatabaseKeepsNothingIdentifying(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	srv := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	ctx := testCtx(t)
	secrets, id := privateConversation(t, ctx, srv)

	dump := dumpSchema(t, ctx, pool)
	if !strings.Contains(dump["conversations"], id) {
		t.Fatalf("the dump does not hold the conversation %s: %v", id, dump)
	}
	for table, text := range dump {
		for what, secret := range secrets {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("table %s holds the %s: …%s…", table, what, excerpt(text, i, len(secret)))
			}
		}
	}

	// Message text is there only as ciphertext: every body is sealed with a
	// key id, and opens only with the key.
	rows, err := pool.Query(ctx, `SELECT seq, kind, key_id, body FROM messages WHERE conversation_id = $1 ORDER BY seq`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	texts := 0
	for rows.Next() {
		var seq int64
		var kind, keyID string
		var body []byte
		if err := rows.Scan(&seq, &kind, &keyID, &body); err != nil {
			t.Fatal(err)
		}
		if keyID == "" || len(body) < 12+16 {
			t.Errorf("message %d (%s) is stored with key %q and %d bytes: not sealed", seq, kind, keyID, len(body))
		}
		for _, plain := range []string{probeSeekerMsg, probeStaffMsg, "zafiro", "mbar-8832"} {
			if strings.Contains(string(body), plain) {
				t.Errorf("message %d is stored as plaintext", seq)
			}
		}
		if kind == "text" {
			texts++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if texts != 3 {
		t.Fatalf("found %d text messages in the database, want 3", texts)
	}
}

// dumpSchema returns every row of every table of the current schema as text.
func dumpSchema(t *testing.T, ctx context.Context, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	rows, err := pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 5 {
		t.Fatalf("the schema has only the tables %v", tables)
	}
	dump := map[string]string{}
	for _, table := range tables {
		rows, err := pool.Query(ctx, `SELECT t::text FROM `+pgx.Identifier{table}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		dump[table] = strings.Join(lines, "\n")
	}
	return dump
}

func excerpt(s string, i, n int) string {
	from, to := max(0, i-60), min(len(s), i+n+60)
	return s[from:to]
}
