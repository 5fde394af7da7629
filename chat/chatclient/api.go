package chatclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Started is the answer to POST /api/seeker/conversations.
type Started struct {
	ConversationID string    `json:"conversation_id"`
	Token          string    `json:"token"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// StartConversation opens a conversation as an anonymous seeker.
func StartConversation(ctx context.Context, base, audience, language, region string) (Started, error) {
	var out Started
	err := PostJSON(ctx, base+"/api/seeker/conversations", "", map[string]string{
		"audience": audience, "language": language, "region": region}, http.StatusCreated, &out)
	return out, err
}

// SignedIn is the answer to POST /api/staff/login.
type SignedIn struct {
	Token string `json:"token"`
	Staff Staff  `json:"staff"`
}

// Login signs a staff member in.
func Login(ctx context.Context, base, username, password string) (SignedIn, error) {
	var out SignedIn
	err := PostJSON(ctx, base+"/api/staff/login", "", map[string]string{"username": username, "password": password}, http.StatusOK, &out)
	return out, err
}

// StatusError is an unexpected HTTP answer.
type StatusError struct {
	Status int
	Code   string
	Body   string
	// RetryAfter is how long a 429 or 503 answer asked to wait (0 if it did not say).
	RetryAfter time.Duration
}

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// PostJSON posts body as JSON (with a bearer token when given) and decodes
// the answer into out if the status is want.
func PostJSON(ctx context.Context, url, token string, body any, want int, out any) error {
	return PostJSONWith(ctx, http.DefaultClient, url, token, body, want, out)
}

// PostJSONWith is PostJSON on a client of the caller's (e.g. one with a
// larger connection pool).
func PostJSONWith(ctx context.Context, client *http.Client, url, token string, body any, want int, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal(buf.Bytes(), &e)
		se := &StatusError{Status: resp.StatusCode, Code: e.Error.Code, Body: strings.TrimSpace(buf.String())}
		if seconds, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && seconds > 0 {
			se.RetryAfter = time.Duration(seconds) * time.Second
		}
		return se
	}
	if out != nil {
		return json.Unmarshal(buf.Bytes(), out)
	}
	return nil
}
