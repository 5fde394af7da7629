package feedback

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// ownConversation gives a seeker their own conversation from a real chat
// store, as chat.Service.Conversation does.
type ownConversation struct{ store chat.Store }

func (o ownConversation) Conversation(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error) {
	if p.Role != chat.RoleSeeker || p.ConversationID != id {
		return chat.Conversation{}, chat.ErrNotFound
	}
	return o.store.Conversation(ctx, id)
}

type world struct {
	chat interface {
		chat.Store
		chat.Retention
	}
	store Store
	given func() int // how many "has answered" marks exist
	pool  *pgxpool.Pool
}

func forEachStore(t *testing.T, test func(t *testing.T, w world)) {
	open := map[string]func(t *testing.T) world{
		"memory": func(t *testing.T) world {
			mem, fb := chat.NewMemoryStore(nil), NewMemoryStore()
			mem.OnForget(fb.Forget)
			return world{chat: mem, store: fb, given: func() int { fb.mu.Lock(); defer fb.mu.Unlock(); return len(fb.given) }}
		},
		"postgres": func(t *testing.T) world {
			pool, _ := migrationstest.MustOpen(t)
			seal, err := chat.ParseKeys(chat.NewKey("k1"))
			if err != nil {
				t.Fatal(err)
			}
			return world{chat: chat.NewPostgresStore(pool, seal, nil), store: NewPostgresStore(pool, seal), pool: pool,
				given: func() int {
					var n int
					pool.QueryRow(context.Background(), `SELECT count(*) FROM feedback_given`).Scan(&n)
					return n
				}}
		},
	}
	for name, o := range open {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, o(t))
		})
	}
}

func TestFeedbackOnceAfterTheEndAndAnonymous(t *testing.T) {
	forEachStore(t, func(t *testing.T, w world) {
		ctx := context.Background()
		now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
		svc := New(w.store, ownConversation{w.chat}, func() time.Time { return now })
		c, err := w.chat.CreateConversation(ctx, chat.NewConversation{Language: "es"})
		if err != nil {
			t.Fatal(err)
		}
		seeker := chat.Principal{Role: chat.RoleSeeker, ConversationID: c.ID}
		if err := svc.Submit(ctx, seeker, Answer{Helpful: 3}); chat.ErrorCode(err) != chat.CodeConflict {
			t.Fatalf("feedback before the end: %v, want conflict", err)
		}
		if _, _, err := w.chat.End(ctx, c.ID, chat.EndedBySeeker); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []Answer{{Helpful: 5}, {Feeling: 6}, {Helpful: -1}, {Comment: strings.Repeat("é", MaxCommentChars+1)}, {Comment: "a\x00b"}} {
			if err := svc.Submit(ctx, seeker, bad); chat.ErrorCode(err) != chat.CodeInvalid {
				t.Errorf("answer %+v: %v, want invalid", bad, err)
			}
		}
		other := chat.Principal{Role: chat.RoleSeeker, ConversationID: chat.NewID()}
		if err := svc.Submit(ctx, other, Answer{Helpful: 1}); chat.ErrorCode(err) != chat.CodeNotFound {
			t.Errorf("feedback on someone else's conversation: %v, want not found", err)
		}
		if err := svc.Submit(ctx, chat.Principal{Role: chat.RoleCounselor, StaffID: 1}, Answer{Helpful: 1}); chat.ErrorCode(err) != chat.CodeUnauthorized {
			t.Errorf("feedback by staff: %v, want unauthorized", err)
		}
		comment := strings.Repeat("é", MaxCommentChars-8) + " gracias"
		if err := svc.Submit(ctx, seeker, Answer{Helpful: 3, Feeling: 4, Comment: "  " + comment + " "}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Submit(ctx, seeker, Answer{Helpful: 1, Feeling: 1, Comment: "otra vez"}); err != nil {
			t.Fatalf("a second submission must succeed and store nothing: %v", err)
		}
		week := Week(now)
		counts, err := svc.Counts(ctx, week, week)
		if err != nil {
			t.Fatal(err)
		}
		want := map[Count]bool{{Week: week, Language: "es", Question: QuestionHelpful, Value: 3, N: 1}: true,
			{Week: week, Language: "es", Question: QuestionFeeling, Value: 4, N: 1}: true}
		if len(counts) != len(want) || !want[counts[0]] || !want[counts[1]] {
			t.Errorf("counts %+v, want helpful 3 and feeling 4 once each", counts)
		}
		comments, err := svc.Comments(ctx, week, week)
		if err != nil || len(comments) != 1 || comments[0] != (Comment{Week: week, Language: "es", Text: comment}) {
			t.Fatalf("comments %+v, %v; want the one comment, trimmed", comments, err)
		}
		if w.pool != nil {
			assertNothingPointsBack(t, w.pool, c.ID)
		}

		// After the retention period the comment goes; the scores stay.
		later := now.Add(8 * 24 * time.Hour)
		svc.now = func() time.Time { return later }
		if n, err := svc.DeleteExpired(ctx, now.Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("deleting before the week is over: %d, %v", n, err)
		}
		if n, err := svc.DeleteExpired(ctx, now.Add(7*24*time.Hour)); err != nil || n != 1 {
			t.Fatalf("deleting expired comments: %d, %v; want 1", n, err)
		}
		if comments, _ := svc.Comments(ctx, week, week); len(comments) != 0 {
			t.Errorf("comments after expiry: %+v", comments)
		}
		if counts, _ := svc.Counts(ctx, week, week); len(counts) != 2 {
			t.Errorf("scores after the comments expired: %+v", counts)
		}
		// The mark that the conversation answered goes with it.
		if w.given() != 1 {
			t.Fatalf("%d marks, want 1", w.given())
		}
		if err := w.chat.DeleteConversation(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if w.given() != 0 {
			t.Errorf("the mark outlived its conversation")
		}
	})
}

// No stored feedback names the conversation, and the comment is sealed.
func assertNothingPointsBack(t *testing.T, pool *pgxpool.Pool, conversationID string) {
	t.Helper()
	ctx := context.Background()
	var leaks int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT a::text AS row FROM feedback_answers a
		UNION ALL SELECT c::text FROM feedback_comments c) r WHERE row LIKE '%' || $1 || '%' OR row LIKE '%gracias%'`,
		conversationID).Scan(&leaks); err != nil || leaks != 0 {
		t.Errorf("%d feedback rows name the conversation or hold the comment in clear (%v)", leaks, err)
	}
}
