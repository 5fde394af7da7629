package counselors_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/counselors"
)

// A probe sending many ids leaves the first ten of each minute as rows and
// one "and N more" row for the rest, per staff member.
func TestRefusedAttemptsAreRateLimitedPerStaffMember(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		var mu sync.Mutex
		var pending []func()
		counselors.SetRefusalTimer(svc, func(d time.Duration, f func()) {
			if d <= 0 || d > time.Minute {
				t.Errorf("summary after %v", d)
			}
			mu.Lock()
			pending = append(pending, f)
			mu.Unlock()
		})
		for i := range 25 {
			svc.RecordRefused(ctx, 7, chat.NewID())
			if i == 0 {
				svc.RecordRefused(ctx, 8, strings.Repeat("x ", 500)) // another person, junk id
			}
			clock.Add(time.Second)
		}
		rows := refusalRows(t, store)
		if len(rows[7]) != 10 || len(rows[8]) != 1 || rows[8][0].Target != "conversation:(malformed)" {
			t.Fatalf("before the minute ends: %d rows for 7, %+v for 8", len(rows[7]), rows[8])
		}
		mu.Lock()
		if len(pending) != 1 {
			t.Fatalf("%d summaries waiting, want 1", len(pending))
		}
		pending[0]()
		mu.Unlock()
		rows = refusalRows(t, store)
		if len(rows[7]) != 11 || !strings.HasPrefix(rows[7][10].Detail, "and 15 more refused") {
			t.Fatalf("after the minute: %d rows, last %+v", len(rows[7]), rows[7][len(rows[7])-1])
		}
		// A new minute lists its first ten again.
		clock.Add(time.Minute)
		svc.RecordRefused(ctx, 7, chat.NewID())
		if rows = refusalRows(t, store); len(rows[7]) != 12 || rows[7][11].Detail != "" {
			t.Fatalf("the next minute: %d rows", len(rows[7]))
		}
	})
}

// refusalRows returns the refused-attempt rows by actor, oldest first.
func refusalRows(t *testing.T, store counselors.Store) map[int64][]counselors.AuditEntry {
	t.Helper()
	entries, err := store.Audit(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][]counselors.AuditEntry{}
	for i := len(entries) - 1; i >= 0; i-- {
		if e := entries[i]; e.Action == counselors.AuditReadRefused {
			out[e.ActorID] = append(out[e.ActorID], e)
		}
	}
	return out
}

// failingAudit is a store whose audit inserts all fail.
type failingAudit struct{ counselors.Store }

func (failingAudit) AppendAudit(context.Context, counselors.AuditEntry) error {
	return errors.New("disk full")
}

// A read whose audit row is not written is refused: RecordRead says so, and
// the audit log is not shown.
func TestReadsFailClosedWhenTheAuditLogCannotBeWritten(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		failing := newService(t, failingAudit{store}, clock)
		if err := failing.RecordRead(ctx, 1, chat.NewID()); err == nil {
			t.Fatal("RecordRead reported success without an audit row")
		}
		if _, err := failing.AuditLog(ctx, chat.Principal{StaffID: 1, Role: chat.RoleAdmin}, 10); chat.ErrorCode(err) != chat.CodeUnavailable {
			t.Fatalf("AuditLog without its audit row: %v", err)
		}
		if err := svc.RecordRead(ctx, 1, chat.NewID()); err != nil {
			t.Fatalf("RecordRead on a working store: %v", err)
		}
	})
}
