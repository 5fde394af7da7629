package chat_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

func mustKeys(t *testing.T, spec string) *chat.Sealer {
	t.Helper()
	s, err := chat.ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sealedFixture stores, in conversations of their own, messages (seeker
// text and system events) and handover notes under the store's current key,
// and remembers what it wrote so it can be read back.
type sealedFixture struct {
	messages map[string][]string // conversation id → bodies in order
	notes    map[string][]string
}

func writeSealed(t *testing.T, s *chat.PostgresStore, conversations, perConversation int) sealedFixture {
	t.Helper()
	ctx := context.Background()
	f := sealedFixture{messages: map[string][]string{}, notes: map[string][]string{}}
	for i := 0; i < conversations; i++ {
		c := mustCreate(t, s)
		for j := 0; j < perConversation; j++ {
			body := fmt.Sprintf("message %d of conversation %d", j, i)
			if res := mustAppend(t, s, seekerText(c.ID, fmt.Sprint(j), body)); res[0].Err != nil {
				t.Fatal(res[0].Err)
			}
			f.messages[c.ID] = append(f.messages[c.ID], body)
			note := fmt.Sprintf("note %d on conversation %d", j, i)
			if err := s.AddNote(ctx, chat.Note{ConversationID: c.ID, StaffID: int64(10 + j), StaffName: "Ana", Body: note}); err != nil {
				t.Fatal(err)
			}
			f.notes[c.ID] = append(f.notes[c.ID], note)
		}
		if _, _, err := s.End(ctx, c.ID, chat.EndedBySeeker); err != nil {
			t.Fatal(err)
		}
		f.messages[c.ID] = append(f.messages[c.ID], chat.EndedBySeeker) // the "ended" event's body
	}
	return f
}

// readBack checks that every message and note of f opens through s with
// the text it was written with.
func (f sealedFixture) readBack(t *testing.T, s *chat.PostgresStore) {
	t.Helper()
	ctx := context.Background()
	for id, want := range f.messages {
		msgs, err := s.Messages(ctx, id, 0, 0)
		if err != nil {
			t.Fatalf("messages of %s: %v", id, err)
		}
		if got := bodies(msgs); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("messages of %s = %q, want %q", id, got, want)
		}
	}
	for id, want := range f.notes {
		notes, err := s.Notes(ctx, id)
		if err != nil {
			t.Fatalf("notes of %s: %v", id, err)
		}
		var got []string
		for _, n := range notes {
			got = append(got, n.Body)
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("notes of %s = %q, want %q", id, got, want)
		}
	}
}

func bodies(msgs []chat.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Body)
	}
	return out
}

func keyStatus(t *testing.T, s *chat.PostgresStore) map[string]int64 {
	t.Helper()
	counts, err := s.KeyStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range counts {
		out[c.Column+" "+c.KeyID] = c.Rows
	}
	return out
}

// Rotating then dropping the old key, as the README says, must lose nothing:
// messages and handover notes alike are re-sealed, page after page.
func TestRotationReSealsMessagesAndNotes(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	ctx := context.Background()
	k1, k2 := chat.NewKey("k1"), chat.NewKey("k2")
	f := writeSealed(t, chat.NewPostgresStore(pool, mustKeys(t, k1), nil), 3, 2)
	// 3 conversations × (2 texts + "ended") messages, 3 × 2 notes.
	if got := keyStatus(t, chat.NewPostgresStore(pool, mustKeys(t, k1), nil)); got["messages k1"] != 9 || got["notes k1"] != 6 || len(got) != 2 {
		t.Fatalf("status before rotation = %v", got)
	}

	rotated := chat.NewPostgresStore(pool, mustKeys(t, k2+","+k1), nil)
	report, err := rotated.RotateKeys(ctx, 2) // batches smaller than a table: rotation must page
	if err != nil || !report.Done() {
		t.Fatalf("RotateKeys = %+v, %v", report, err)
	}
	if report.Resealed["messages"] != 9 || report.Resealed["notes"] != 6 {
		t.Fatalf("re-sealed %v, want 9 messages and 6 notes", report.Resealed)
	}
	if got := keyStatus(t, rotated); got["messages k2"] != 9 || got["notes k2"] != 6 || len(got) != 2 {
		t.Fatalf("status after rotation = %v, want everything under k2", got)
	}

	f.readBack(t, chat.NewPostgresStore(pool, mustKeys(t, k2), nil))
	if _, err := chat.NewPostgresStore(pool, mustKeys(t, k1), nil).Notes(ctx, firstKey(f.notes)); err == nil {
		t.Fatal("the retired key still opens rotated notes")
	}

	// Running it again finds nothing to do and still says done.
	report, err = rotated.RotateKeys(ctx, 2)
	if err != nil || !report.Done() || report.Resealed["messages"]+report.Resealed["notes"] != 0 {
		t.Fatalf("second rotation = %+v, %v", report, err)
	}
}

func firstKey(m map[string][]string) string {
	for k := range m {
		return k
	}
	return ""
}

// A rotation interrupted half-way (here: its context is cancelled once the
// first batch has committed) leaves some rows under the new key and some
// under the old; it does not say done, and running it again finishes the
// rest and only the rest.
func TestRotationFinishesAfterAnInterruption(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	k1, k2 := chat.NewKey("k1"), chat.NewKey("k2")
	before := writeSealed(t, chat.NewPostgresStore(pool, mustKeys(t, k1), nil), 2, 1) // 4 messages, 2 notes
	keys := mustKeys(t, k2+","+k1)
	after := writeSealed(t, chat.NewPostgresStore(pool, keys, nil), 1, 2) // as the restarted service writes meanwhile

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = cancelAfterCommit{cancel}
	interrupted, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer interrupted.Close()
	report, err := chat.NewPostgresStore(interrupted, keys, nil).RotateKeys(ctx, 1)
	if err == nil || report.Done() || report.Resealed["messages"] != 1 {
		t.Fatalf("interrupted rotation = %+v, %v; want one message re-sealed and an error", report, err)
	}

	rotated := chat.NewPostgresStore(pool, keys, nil)
	report, err = rotated.RotateKeys(context.Background(), 1)
	if err != nil || !report.Done() || report.Resealed["messages"] != 3 || report.Resealed["notes"] != 2 {
		t.Fatalf("RotateKeys = %+v, %v; want the 3 messages and 2 notes left under k1 re-sealed", report, err)
	}
	onlyNew := chat.NewPostgresStore(pool, mustKeys(t, k2), nil)
	before.readBack(t, onlyNew)
	after.readBack(t, onlyNew)
}

// cancelAfterCommit cancels a context as soon as a transaction commits.
type cancelAfterCommit struct{ cancel context.CancelFunc }

func (c cancelAfterCommit) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (c cancelAfterCommit) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	if d.Err == nil && strings.EqualFold(d.CommandTag.String(), "COMMIT") {
		c.cancel()
	}
}

// Two instances rotating at once never re-seal the same row twice, and
// between them re-seal everything.
func TestConcurrentRotationsShareTheWork(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	k1, k2 := chat.NewKey("k1"), chat.NewKey("k2")
	f := writeSealed(t, chat.NewPostgresStore(pool, mustKeys(t, k1), nil), 6, 3)
	keys := k2 + "," + k1
	var wg sync.WaitGroup
	reports := make([]chat.RotationReport, 2)
	errs := make([]error, 2)
	for i := range reports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = chat.NewPostgresStore(pool, mustKeys(t, keys), nil).RotateKeys(context.Background(), 1)
		}()
	}
	wg.Wait()
	var messages, notes int64
	done := false
	for i, r := range reports {
		var incomplete *chat.RotationIncomplete
		if errs[i] != nil && !errors.As(errs[i], &incomplete) {
			t.Fatalf("rotation %d: %v", i, errs[i])
		}
		messages, notes, done = messages+r.Resealed["messages"], notes+r.Resealed["notes"], done || r.Done()
		t.Logf("rotation %d re-sealed %v", i, r.Resealed)
	}
	if messages != 6*4 || notes != 6*3 {
		t.Fatalf("together they re-sealed %d messages and %d notes, want %d and %d exactly", messages, notes, 6*4, 6*3)
	}
	if !done {
		t.Fatalf("neither rotation saw the end: %v, %v", errs[0], errs[1])
	}
	f.readBack(t, chat.NewPostgresStore(pool, mustKeys(t, k2), nil))
}

// A row that cannot be opened (its key is missing from the configuration,
// or it is damaged) is reported by table and key, and rotation is not done.
func TestRotationReportsRowsItCannotOpen(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	ctx := context.Background()
	k0, k1, k2 := chat.NewKey("k0"), chat.NewKey("k1"), chat.NewKey("k2")
	writeSealed(t, chat.NewPostgresStore(pool, mustKeys(t, k0), nil), 1, 2) // 3 messages, 2 notes under k0
	good := writeSealed(t, chat.NewPostgresStore(pool, mustKeys(t, k1), nil), 1, 1)
	damageOneNote(t, pool, "k1")

	rotated := chat.NewPostgresStore(pool, mustKeys(t, k2+","+k1), nil) // k0 is not configured
	report, err := rotated.RotateKeys(ctx, 2)
	var incomplete *chat.RotationIncomplete
	if !errors.As(err, &incomplete) || report.Done() {
		t.Fatalf("RotateKeys = %+v, %v; want it not done", report, err)
	}
	unopenable := map[string]int64{}
	for _, u := range report.Unopenable {
		unopenable[u.Column+" "+u.KeyID] = u.Rows
	}
	want := map[string]int64{"messages k0": 3, "notes k0": 2, "notes k1": 1}
	if fmt.Sprint(unopenable) != fmt.Sprint(want) {
		t.Fatalf("unopenable rows = %v, want %v", unopenable, want)
	}
	left := map[string]int64{}
	for _, l := range report.Left {
		left[l.Column+" "+l.KeyID] = l.Rows
	}
	if fmt.Sprint(left) != fmt.Sprint(want) {
		t.Fatalf("left under old keys = %v, want %v", left, want)
	}
	text := err.Error()
	for _, s := range []string{"NOT done", "messages under k0: 3 rows left; 3 could not be opened", "notes under k0: 2 rows left; 2 could not be opened",
		"notes under k1: 1 row left; 1 could not be opened: cipher: message authentication failed",
		"add that key to HELPLINE_ENCRYPTION_KEYS", "damaged", "helpline keys status"} {
		if !strings.Contains(text, s) {
			t.Errorf("the error a person reads lacks %q:\n%s", s, text)
		}
	}
	// What could be opened was re-sealed all the same.
	if report.Resealed["messages"] != 2 || report.Resealed["notes"] != 0 {
		t.Fatalf("re-sealed %v, want the 2 good messages", report.Resealed)
	}
	msgs, err := chat.NewPostgresStore(pool, mustKeys(t, k2), nil).Messages(ctx, firstKey(good.messages), 0, 0)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("good messages after rotation: %v, %v", msgs, err)
	}
}

// damageOneNote flips a byte of one note's ciphertext under keyID.
func damageOneNote(t *testing.T, pool *pgxpool.Pool, keyID string) {
	t.Helper()
	tag, err := pool.Exec(context.Background(), `UPDATE notes SET body = set_byte(body, 20, get_byte(body, 20) # 1)
		WHERE id = (SELECT min(id) FROM notes WHERE key_id = $1)`, keyID)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("damaging a note: %v, %v", tag, err)
	}
}

// Rows left under an old key that rotation could open (written meanwhile by
// an instance still sealing with the old key, or held by another rotation)
// get their own advice: it is not a matter of a missing key.
func TestRotationIncompleteSaysWhatToDoForRowsWrittenMeanwhile(t *testing.T) {
	err := &chat.RotationIncomplete{Report: chat.RotationReport{CurrentKey: "k2",
		Left: []chat.KeyCount{{Column: "messages", KeyID: "k1", Rows: 4}}}}
	text := err.Error()
	for _, s := range []string{"NOT done", "messages under k1: 4 rows left", "every instance runs with k2 first in HELPLINE_ENCRYPTION_KEYS", "run `helpline rotate-keys` again"} {
		if !strings.Contains(text, s) {
			t.Errorf("the error lacks %q:\n%s", s, text)
		}
	}
	if strings.Contains(text, "could not be opened") || strings.Contains(text, "damaged") {
		t.Errorf("the error blames keys or damage for rows that opened:\n%s", text)
	}
}
