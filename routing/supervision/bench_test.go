package supervision_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/wire"
	"helpline/migrations/migrationstest"
	"helpline/routing"
	"helpline/routing/supervision"
	"helpline/routing/switchboard"
)

// What the supervisor page's first screen costs the server with 10,000 live
// conversations held by 2,000 counsellors and 500 waiting: the summary, the
// first page of the team and the first page of the live conversations
// (BENCHMARKS.md).
const (
	benchLive       = 10_000
	benchCounselors = 2_000
	benchWaiting    = 500
)

type nopChat struct{}

func (nopChat) Push(context.Context, chat.Recipients, wire.Payload) error { return nil }

func benchService(tb testing.TB, chatStore chat.Store, routes routing.Store, breaks supervision.BreakStore, pauses switchboard.Store) *supervision.Service {
	ctx := context.Background()
	now := time.Now()
	for i := 1; i <= benchCounselors; i++ {
		m := routing.Member{Counselor: routing.Counselor{ID: int64(i), Status: routing.StatusAvailable, Capacity: 5, MaxCapacity: 5,
			Languages: []string{"es", "en"}, IdleSince: now}, DisplayName: fmt.Sprintf("Consejero %04d", i), SeenAt: now}
		if err := routes.Join(ctx, m); err != nil {
			tb.Fatal(err)
		}
	}
	router := routing.New(routing.Config{Now: func() time.Time { return now }, CounselorGrace: time.Hour}, routes, chatStore)
	sb := switchboard.New(pauses, nopChat{}, nil, map[string]bool{"es": true, "en": true}, nil, nil)
	return supervision.New(supervision.Config{Chat: nopChat{}, Store: chatStore, Live: chatStore.(chat.LiveLister), Team: router,
		Pauses: sb, Breaks: breaks})
}

// firstScreen is what opening the page asks for.
func firstScreen(tb testing.TB, svc *supervision.Service) (supervision.Summary, supervision.TeamPage, supervision.LivePage) {
	ctx := context.Background()
	sum, err := svc.Summary(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	team, err := svc.Team(ctx, 0, 25)
	if err != nil {
		tb.Fatal(err)
	}
	live, err := svc.Live(ctx, 0, 25)
	if err != nil {
		tb.Fatal(err)
	}
	return sum, team, live
}

func benchFirstScreen(b *testing.B, svc *supervision.Service) {
	sum, team, live := firstScreen(b, svc)
	if sum.LiveTotal != benchLive || sum.WaitingTotal != benchWaiting || team.Total != benchCounselors || live.Total != benchLive || len(live.Conversations) != 25 {
		b.Fatalf("the fixture is not what it should be: live %d waiting %d team %d", sum.LiveTotal, sum.WaitingTotal, team.Total)
	}
	for b.Loop() {
		firstScreen(b, svc)
	}
	frame, _ := wire.Encode(sum)
	teamJSON, _ := json.Marshal(team)
	liveJSON, _ := json.Marshal(live)
	b.ReportMetric(float64(len(frame)), "summary-bytes")
	b.ReportMetric(float64(len(teamJSON)), "team-page-bytes")
	b.ReportMetric(float64(len(liveJSON)), "live-page-bytes")
}

func BenchmarkFirstScreenMemory(b *testing.B) {
	ctx := context.Background()
	store := chat.NewMemoryStore(nil)
	langs := []string{"es", "en"}
	auds := []chat.Audience{chat.AudienceSelf, chat.AudienceYoung, chat.AudienceOther, chat.AudienceUnknown}
	for i := range benchLive + benchWaiting {
		c, err := store.CreateConversation(ctx, chat.NewConversation{Audience: auds[i%4], Language: langs[i%2]})
		if err != nil {
			b.Fatal(err)
		}
		if i >= benchLive {
			continue
		}
		counselor := int64(i%benchCounselors + 1)
		if _, _, err := store.Assign(ctx, c.ID, counselor, fmt.Sprintf("Consejero %04d", counselor), 5); err != nil {
			b.Fatal(err)
		}
		store.AppendBatch(ctx, []chat.Append{
			{ConversationID: c.ID, Sender: chat.SenderSeeker, Kind: chat.KindText, ClientID: "s", Body: "hola"},
			{ConversationID: c.ID, Sender: chat.SenderCounselor, SenderID: counselor, Kind: chat.KindText, ClientID: "c", Body: "hola, te leo"}})
	}
	benchFirstScreen(b, benchService(b, store, routing.NewMemoryStore(), supervision.NewMemoryBreaks(), switchboard.NewMemoryStore()))
}

func BenchmarkFirstScreenPostgres(b *testing.B) {
	pool, _ := migrationstest.MustOpen(b)
	ctx := context.Background()
	// Filled in bulk: the rows as the stores write them, without 20,000 round trips.
	for _, q := range []string{
		`INSERT INTO conversations (id, status, audience, language, counselor_id, counselor_name, created_at, queued_at, assigned_at)
		 SELECT gen_random_uuid(), 'active', (ARRAY['self','young','other',''])[1 + i % 4], (ARRAY['es','en'])[1 + i % 2],
		        1 + i % 2000, 'Consejero ' || lpad((1 + i % 2000)::text, 4, '0'),
		        now() - interval '1 hour' + i * interval '10 ms', now() - interval '1 hour' + i * interval '10 ms',
		        now() - interval '50 minutes' + i * interval '10 ms'
		 FROM generate_series(0, 9999) AS i`,
		`INSERT INTO conversations (id, status, audience, language, created_at, queued_at)
		 SELECT gen_random_uuid(), 'waiting', (ARRAY['self','young','other',''])[1 + i % 4], (ARRAY['es','en'])[1 + i % 2],
		        now() - i * interval '1 s', now() - i * interval '1 s'
		 FROM generate_series(0, 499) AS i`,
		`INSERT INTO messages (conversation_id, seq, sender, sender_id, kind, key_id, body, sent_at)
		 SELECT id, s, (ARRAY['seeker','counselor'])[s], CASE WHEN s = 2 THEN counselor_id END, 'text', 'k1', '\x00'::bytea,
		        assigned_at + s * interval '1 minute'
		 FROM conversations, generate_series(1, 2) AS s WHERE status = 'active'`,
		`ANALYZE`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	benchFirstScreen(b, benchService(b, chat.NewPostgresStore(pool, nil, nil), routing.NewPostgresStore(pool),
		supervision.NewPostgresBreaks(pool), switchboard.NewPostgresStore(pool)))
}
