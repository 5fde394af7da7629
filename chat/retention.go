package chat

import (
	"context"
	"time"
)

// DailyCount is what is kept of conversations once their content is gone:
// how many there were, per day and coarse category. Nothing in it can point
// to a person.
type DailyCount struct {
	Day      string // YYYY-MM-DD (UTC)
	Audience Audience
	Language string
	EndedBy  string
	Answered bool // a counsellor joined
	Count    int64
}

// Retention is the part of a store that forgets: deleting content on
// schedule or on the seeker's request, and re-sealing under a new key.
type Retention interface {
	// DeleteExpired removes every conversation created before cutoff, with
	// its messages, after adding it to the anonymous daily counts. It returns
	// how many it removed.
	DeleteExpired(ctx context.Context, cutoff time.Time) (int, error)
	// DeleteConversation removes one conversation and its messages now,
	// counting it first. The conversation must have ended.
	DeleteConversation(ctx context.Context, id string) error
	// DailyCounts returns the anonymous counts, oldest first.
	DailyCounts(ctx context.Context) ([]DailyCount, error)
}

// RunRetention deletes expired content now and then every interval until
// ctx ends. Several instances may run it at once: deleting is idempotent.
func RunRetention(ctx context.Context, r Retention, days int, interval time.Duration, now Clock, log func(deleted int, err error)) {
	for {
		n, err := r.DeleteExpired(ctx, now().Add(-time.Duration(days)*24*time.Hour))
		if ctx.Err() != nil {
			return
		}
		log(n, err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
