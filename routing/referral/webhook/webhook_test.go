package webhook

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks specification's published test vector
// (libraries/go/webhook_test.go, TestWebhookSign).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func vectorSecrets(t *testing.T) []Secret {
	t.Helper()
	s, err := ParseSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	return []Secret{s}
}

func TestSignMatchesSpecificationVector(t *testing.T) {
	got := Sign(vectorSecrets(t), vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
	if got != vectorSignature {
		t.Fatalf("signature %q, the specification says %q", got, vectorSignature)
	}
}

func vectorHeader() http.Header {
	h := http.Header{}
	h.Set(HeaderID, vectorID)
	h.Set(HeaderTimestamp, "1614265330")
	h.Set(HeaderSignature, vectorSignature)
	return h
}

func TestVerifySpecificationVector(t *testing.T) {
	now := time.Unix(vectorTimestamp, 0).Add(time.Minute)
	if err := Verify(vectorSecrets(t), vectorHeader(), []byte(vectorBody), now, DefaultTolerance); err != nil {
		t.Fatalf("the specification's vector does not verify: %v", err)
	}
	if err := Verify(vectorSecrets(t), vectorHeader(), []byte(vectorBody+" "), now, DefaultTolerance); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("a changed body verified: %v", err)
	}
}

func TestVerifyTimestampTolerance(t *testing.T) {
	at := time.Unix(vectorTimestamp, 0)
	cases := []struct {
		now  time.Time
		want error
	}{
		{at.Add(DefaultTolerance - time.Second), nil},
		{at.Add(DefaultTolerance), ErrTimestampTooOld},
		{at.Add(-DefaultTolerance), nil},
		{at.Add(-DefaultTolerance - time.Second), ErrTimestampTooNew},
	}
	for _, c := range cases {
		if err := Verify(vectorSecrets(t), vectorHeader(), []byte(vectorBody), c.now, DefaultTolerance); !errors.Is(err, c.want) {
			t.Errorf("now %v after the timestamp: %v, want %v", c.now.Sub(at), err, c.want)
		}
	}
}

func TestVerifyRejectsMissingOrMalformedHeaders(t *testing.T) {
	now := time.Unix(vectorTimestamp, 0)
	for _, name := range []string{HeaderID, HeaderTimestamp, HeaderSignature} {
		h := vectorHeader()
		h.Del(name)
		if err := Verify(vectorSecrets(t), h, []byte(vectorBody), now, DefaultTolerance); !errors.Is(err, ErrMissingHeaders) {
			t.Errorf("without %s: %v", name, err)
		}
	}
	h := vectorHeader()
	h.Set(HeaderTimestamp, "yesterday")
	if err := Verify(vectorSecrets(t), h, []byte(vectorBody), now, DefaultTolerance); !errors.Is(err, ErrInvalidTimestamp) {
		t.Errorf("bad timestamp: %v", err)
	}
	h = vectorHeader()
	h.Set(HeaderSignature, "v2,"+strings.TrimPrefix(vectorSignature, "v1,"))
	if err := Verify(vectorSecrets(t), h, []byte(vectorBody), now, DefaultTolerance); !errors.Is(err, ErrNoMatch) {
		t.Errorf("a v2 signature counted as v1: %v", err)
	}
}

// During rotation we sign with the old and the new secret; a partner that
// knows either accepts, and a partner with only the new one accepts a list
// in which the matching signature is not first.
func TestRotationSignsWithEverySecret(t *testing.T) {
	oldS, _ := ParseSecret(NewSecret())
	newS, _ := ParseSecret(NewSecret())
	at := time.Unix(1700000000, 0)
	body := []byte(`{"a":1}`)
	h := http.Header{}
	SetHeaders(h, []Secret{oldS, newS}, "ref_1", at, body)
	if n := len(strings.Fields(h.Get(HeaderSignature))); n != 2 {
		t.Fatalf("%d signatures, want 2: %q", n, h.Get(HeaderSignature))
	}
	for _, partner := range [][]Secret{{oldS}, {newS}} {
		if err := Verify(partner, h, body, at, DefaultTolerance); err != nil {
			t.Errorf("partner with one of the secrets: %v", err)
		}
	}
	other, _ := ParseSecret(NewSecret())
	if err := Verify([]Secret{other}, h, body, at, DefaultTolerance); !errors.Is(err, ErrNoMatch) {
		t.Errorf("an unrelated secret verified: %v", err)
	}
}

func TestParseSecretLength(t *testing.T) {
	if _, err := ParseSecret("whsec_" + "c2hvcnQ="); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
	if _, err := ParseSecret("whsec_not base64!"); err == nil {
		t.Error("a secret that is not base64 was accepted")
	}
	s, err := ParseSecret(NewSecret())
	if err != nil || len(s) != 32 {
		t.Fatalf("NewSecret: %d bytes, %v", len(s), err)
	}
	if _, err := ParseSecret(s.String()); err != nil {
		t.Errorf("String does not round-trip: %v", err)
	}
}
