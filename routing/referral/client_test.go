package referral

import (
	"net/http"
	"testing"
	"time"
)

func throttledResponse(code int, retryAfter string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: code, Header: h}
}

// The quick retries within one attempt never wait longer than
// AttemptRetryWait, whatever the partner's Retry-After says.
func TestAttemptBackoffIsCapped(t *testing.T) {
	c := Config{AttemptRetryWait: 5 * time.Second}.withDefaults()
	for _, ra := range []string{"315360000", "Fri, 31 Dec 2100 23:59:59 GMT", ""} {
		for _, code := range []int{429, 503} {
			if got := c.attemptBackoff(time.Second, c.AttemptRetryWait, 3, throttledResponse(code, ra)); got > 5*time.Second {
				t.Errorf("%d Retry-After %q: in-process wait %v", code, ra, got)
			}
		}
	}
}

func TestRetryAfterForms(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"120", 2 * time.Minute, true},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
		{"-5", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, ok := retryAfter(throttledResponse(429, c.header), now)
		if got != c.want || ok != c.ok {
			t.Errorf("Retry-After %q: %v %v, want %v %v", c.header, got, ok, c.want, c.ok)
		}
	}
}

func TestPayloadConsentRules(t *testing.T) {
	ok := samplePayload()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	codeOnly := ok
	codeOnly.Seeker = Seeker{Sharing: ShareCodeOnly, Name: "Sam"}
	if err := codeOnly.Validate(); err == nil {
		t.Error("a name was accepted when the seeker chose to share only the code")
	}
	codeOnly.Seeker.Name = ""
	if body, err := codeOnly.Encode(); err != nil || string(body) != `{"type":"referral.created","referral_code":"RC-7Q4K-93","service_id":"svc-north-therapy","seeker":{"sharing":"code_only"},"language":"en","audience":"adult_self","region":"GB-YOR"}` {
		t.Errorf("code-only payload: %s, %v", body, err)
	}
	for _, bad := range []Payload{
		{ServiceID: "s", Seeker: Seeker{Sharing: ShareCodeOnly}},
		{ReferralCode: "r", ServiceID: "s", Seeker: Seeker{Sharing: "everything"}},
		{ReferralCode: "r", ServiceID: "s", Seeker: Seeker{Sharing: ShareContact}},
	} {
		if _, err := bad.Encode(); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
