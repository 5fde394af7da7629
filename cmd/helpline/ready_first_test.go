package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// Consoles signing in while seekers arrive, in offer mode: each goes on
// shift and may be offered a conversation at once, and each console's first
// frame is still ready. (chatclient.Dial skips frames before ready, so this
// reads the socket itself.)
func TestConsolesSigningInWhileSeekersArriveGetReadyFirst(t *testing.T) {
	opts := offerMode(map[string]string{"HELPLINE_STARTS_PER_MINUTE": "0", "HELPLINE_SIGNINS_PER_MINUTE": "0", "HELPLINE_OFFER_TIMEOUT": "30s"})
	forEachStoreWith(t, opts, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		mustCounselor(t, ctx, srv, "first", 5) // so the service is open to seekers
		const consoles = 30
		tokens := make([]string, consoles)
		for i := range consoles {
			name := fmt.Sprint("c", i)
			in, err := chatclient.Login(ctx, srv.URL, name, srv.MustAccount(t, name, "Consejera "+name, chat.RoleCounselor, 3))
			if err != nil {
				t.Fatal(err)
			}
			tokens[i] = in.Token
		}
		seekersDone := make(chan struct{})
		go func() {
			defer close(seekersDone)
			for range consoles {
				if _, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", ""); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		var wg sync.WaitGroup
		for i, token := range tokens {
			wg.Go(func() {
				if typ, err := firstFrameType(ctx, srv.URL, token); err != nil || typ != "ready" {
					t.Errorf("console %d: first frame %q (%v), want ready", i, typ, err)
				}
			})
		}
		wg.Wait()
		<-seekersDone
	})
}

// firstFrameType authenticates a socket with token and returns the type of
// the first frame the server sends.
func firstFrameType(ctx context.Context, base, token string) (string, error) {
	ws, _, err := websocket.Dial(ctx, chatclient.WSURL(base), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {base}}})
	if err != nil {
		return "", err
	}
	defer ws.CloseNow()
	c := chatclient.NewClient(ws)
	if err := c.Send(ctx, map[string]any{"type": "auth", "token": token}); err != nil {
		return "", err
	}
	f, err := c.Next(ctx)
	return f.Type, err
}
