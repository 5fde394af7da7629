package counselors_test

import (
	"context"
	"testing"

	"helpline/chat"
	"helpline/counselors"
)

// Invalid account details come back as "invalid" with a message saying what
// to fix, so the web layer maps them without repairing them.
func TestInvalidAccountDetailsAreInvalid(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, _ counselors.Store, _ *fakeClock, _ *recordingBroker) {
		for name, n := range map[string]counselors.NewAccount{
			"no role":        {Username: "ana", Password: "long enough password"},
			"space in name":  {Username: "a na", Role: chat.RoleCounselor, Password: "long enough password"},
			"short password": {Username: "ana", Role: chat.RoleCounselor, Password: "short"},
		} {
			_, err := svc.AddAccount(context.Background(), n, 0)
			if code := chat.ErrorCode(err); code != chat.CodeInvalid || chat.PublicMessage(err) == "something went wrong on our side" {
				t.Errorf("%s: %v has code %q, want %q with its own message", name, err, code, chat.CodeInvalid)
			}
		}
	})
}
