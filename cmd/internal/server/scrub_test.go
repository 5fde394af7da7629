package server

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestServerErrorLogNamesNoAddress(t *testing.T) {
	var buf bytes.Buffer
	w := addressScrubber{slog.New(slog.NewJSONHandler(&buf, nil))}
	for _, line := range []string{
		"http: TLS handshake error from 203.0.113.9:51234: EOF",
		"http: panic serving [2001:db8::1]:443: boom",
		"http: response.WriteHeader on hijacked connection from 10.1.2.3",
	} {
		w.Write([]byte(line + "\\n"))
	}
	out := buf.String()
	for _, addr := range []string{"203.0.113.9", "2001:db8::1", "10.1.2.3", "51234"} {
		if strings.Contains(out, addr) {
			t.Errorf("log still holds %s: %s", addr, out)
		}
	}
	if strings.Count(out, "[address]") != 3 {
		t.Errorf("expected three scrubbed addresses: %s", out)
	}
}
