package routing

import (
	"strings"
	"testing"
	"time"

	"helpline/chat"
)

// t0 is a fixed Monday noon in UTC; tests never read the real clock.
var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// counselor is an available counsellor with capacity 2 and nothing active.
func counselor(id int64, langs string, auds ...chat.Audience) Counselor {
	c := Counselor{ID: id, Status: StatusAvailable, Capacity: 2, Audiences: auds, IdleSince: t0}
	if langs != "" {
		c.Languages = strings.Split(langs, ",")
	}
	return c
}

func waiting(id string, aud chat.Audience, lang string, queuedMin int) Waiting {
	return Waiting{ConversationID: id, Audience: aud, Language: lang, QueuedAt: at(queuedMin)}
}

func mustLocation(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func mustParseHours(tb testing.TB, spec, tz, holidays string) Hours {
	tb.Helper()
	h, err := ParseHours(spec, tz, holidays)
	if err != nil {
		tb.Fatalf("ParseHours(%q, %q, %q): %v", spec, tz, holidays, err)
	}
	return h
}
