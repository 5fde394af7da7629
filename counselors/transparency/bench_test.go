package transparency

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"helpline/chat"
	"helpline/counselors/report"
	"helpline/migrations/migrationstest"
)

// benchConversations is a busy service's year: at least 500,000.
const benchConversations = 500_000

// BenchmarkMonthlyReportFromAYearOfTallies loads a year of anonymous daily
// tallies for 500,000 conversations into PostgreSQL, as the chat stores
// would have kept them (shards included), and builds one month's report
// from them. Run: go test -run '^$' -bench MonthlyReport -benchtime 20x ./counselors/transparency
func BenchmarkMonthlyReportFromAYearOfTallies(b *testing.B) {
	pool, _ := migrationstest.MustOpen(b)
	ctx := context.Background()
	rows := yearOfTallies(benchConversations)
	n, err := pool.CopyFrom(ctx, pgx.Identifier{"report_tallies"},
		[]string{"day", "audience", "language", "region", "metric", "outcome", "bucket", "shard", "count"}, pgx.CopyFromRows(rows))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE report_tallies`); err != nil {
		b.Fatal(err)
	}
	seal, _ := chat.ParseKeys(chat.NewKey("k1"))
	svc, err := New(chat.NewPostgresStore(pool, seal, nil), nil, report.DefaultPolicy())
	if err != nil {
		b.Fatal(err)
	}
	month, _ := Month("2026-06")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := svc.Build(ctx, month)
		if err != nil || len(r.Sections) < 2 {
			b.Fatalf("report: %v", err)
		}
	}
	b.ReportMetric(float64(n), "tally-rows")
}

// yearOfTallies simulates the tallies of n conversations spread over 2026,
// aggregated by (day, audience, language, region, metric, outcome, bucket,
// shard) as report_tallies holds them.
func yearOfTallies(n int) [][]any {
	rng := rand.New(rand.NewPCG(1, 2))
	audiences := []chat.Audience{chat.AudienceSelf, chat.AudienceSelf, chat.AudienceOther, chat.AudienceYoung, ""}
	languages := []string{"es", "es", "en"}
	regions := []string{"Andalucía", "Cataluña", "Madrid", "Valencia", "Galicia", "País Vasco", chat.RegionOther, chat.RegionNotGiven}
	endedBy := []string{chat.EndedBySeeker, chat.EndedByLeft, chat.EndedByAbandoned}
	type key struct {
		t     chat.Tally
		shard int
	}
	counts := map[key]int64{}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		base := chat.Tally{Day: start.AddDate(0, 0, rng.IntN(365)).Format(time.DateOnly), Audience: audiences[rng.IntN(len(audiences))],
			Language: languages[rng.IntN(len(languages))], Region: regions[rng.IntN(len(regions))]}
		add := func(metric, outcome string, bucket int) {
			t := base
			t.Metric, t.Outcome, t.Bucket = metric, outcome, bucket
			counts[key{t, rng.IntN(8)}]++
		}
		add(chat.MetricArrived, "", 0)
		if rng.IntN(10) < 8 {
			add(chat.MetricWait, "", rng.IntN(len(chat.WaitBuckets)))
			add(chat.MetricEnded, chat.OutcomeAnswered, 0)
			add(chat.MetricLength, "", rng.IntN(len(chat.LengthBuckets)))
		} else {
			add(chat.MetricEnded, chat.OutcomeUnanswered, 0)
			add(chat.MetricAbandoned, endedBy[rng.IntN(len(endedBy))], rng.IntN(len(chat.WaitBuckets)))
		}
	}
	out := make([][]any, 0, len(counts))
	for k, c := range counts {
		day, _ := time.Parse(time.DateOnly, k.t.Day)
		out = append(out, []any{day, string(k.t.Audience), k.t.Language, k.t.Region, k.t.Metric, k.t.Outcome, int16(k.t.Bucket), int16(k.shard), c})
	}
	return out
}
