package switchboard_test

import (
	"context"
	"testing"

	"helpline/chat"
	"helpline/counselors"
	"helpline/migrations/migrationstest"
	"helpline/routing/switchboard"
)

func newService(t *testing.T, audit *counselors.Service, store switchboard.Store) *switchboard.Service {
	t.Helper()
	svc := chat.NewService(chat.Config{Store: chat.NewMemoryStore(nil), Broker: chat.NewMemoryBroker()})
	return switchboard.New(store, svc, audit, map[string]bool{"es": true, "en": true}, nil, nil)
}

var sara = chat.Principal{Role: chat.RoleSupervisor, StaffID: 4}

// Only supervisors and admins, only real skills; and a pause that cannot be
// audited does not happen.
func TestPauseIsCheckedAndAuditedFirst(t *testing.T) {
	ctx := context.Background()
	audit := counselors.NewService(counselors.NewMemoryStore(), nil, nil, 0, nil, nil)
	store := switchboard.NewMemoryStore()
	sb := newService(t, audit, store)
	for name, try := range map[string]struct {
		p        chat.Principal
		audience chat.Audience
		language string
		want     chat.Code
	}{
		"a counsellor":           {chat.Principal{Role: chat.RoleCounselor, StaffID: 5}, "self", "", chat.CodeNotFound},
		"a seeker":               {chat.Principal{Role: chat.RoleSeeker, ConversationID: "x"}, "self", "", chat.CodeNotFound},
		"an unknown skill":       {sara, "kids", "", chat.CodeInvalid},
		"a language not offered": {sara, "self", "fr", chat.CodeInvalid},
	} {
		if _, err := sb.Pause(ctx, try.p, "X", try.audience, try.language); chat.ErrorCode(err) != try.want {
			t.Errorf("%s pausing: %v, want %s", name, err, try.want)
		}
		if err := sb.Resume(ctx, try.p, try.audience, try.language); chat.ErrorCode(err) != try.want {
			t.Errorf("%s resuming: %v, want %s", name, err, try.want)
		}
	}
	if all, _ := store.List(ctx); len(all) != 0 {
		t.Fatalf("refused pauses were stored: %+v", all)
	}
	p, err := sb.Pause(ctx, sara, "Sara", "young", "es")
	if err != nil || p.ByName != "Sara" || p.ByID != 4 {
		t.Fatalf("pause: %+v %v", p, err)
	}
	paused, err := sb.PausedSkills(ctx)
	if err != nil || len(paused) != 1 || paused[0].Audience != "young" || paused[0].Language != "es" {
		t.Fatalf("the router sees %+v %v", paused, err)
	}
	entries, _ := audit.AuditLog(ctx, sara, 10)
	found := false
	for _, e := range entries {
		found = found || (e.Action == switchboard.AuditPause && e.Target == "skill:young/es" && e.ActorID == 4)
	}
	if !found {
		t.Fatalf("no audit row for the pause: %+v", entries)
	}

	// The audit log on a database that has gone away: nothing changes.
	pool, _ := migrationstest.MustOpen(t)
	broken := counselors.NewService(counselors.NewPostgresStore(pool), nil, nil, 0, nil, nil)
	pool.Close()
	failing := newService(t, broken, store)
	if _, err := failing.Pause(ctx, sara, "Sara", "self", ""); chat.ErrorCode(err) != chat.CodeUnavailable {
		t.Fatalf("pausing unaudited: %v, want unavailable", err)
	}
	if err := failing.Resume(ctx, sara, "young", "es"); chat.ErrorCode(err) != chat.CodeUnavailable {
		t.Fatalf("resuming unaudited: %v, want unavailable", err)
	}
	if all, _ := store.List(ctx); len(all) != 1 || all[0].Audience != "young" {
		t.Fatalf("an unaudited action took effect: %+v", all)
	}
}
