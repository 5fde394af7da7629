package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// Routing end to end: offers, positions, counsellor loss, transfers, and
// several instances on one database.

func offerMode(extra map[string]string) servertest.Options {
	env := map[string]string{"HELPLINE_ROUTING": "offer", "HELPLINE_REQUIRE_COUNSELOR": "true",
		"HELPLINE_OFFER_TIMEOUT": "1s", "HELPLINE_MAX_MISSES": "1", "HELPLINE_COUNSELOR_GRACE": "5s", "HELPLINE_SEEKER_GRACE": "30s"}
	for k, v := range extra {
		env[k] = v
	}
	return servertest.Options{Env: env}
}

func signIn(t *testing.T, ctx context.Context, srv *servertest.Server, username, password string) (*chatclient.Client, chatclient.SignedIn) {
	t.Helper()
	in, err := chatclient.Login(ctx, srv.URL, username, password)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chatclient.Dial(ctx, srv.URL, in.Token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.WS.CloseNow() })
	return c, in
}

func startSeeker(t *testing.T, ctx context.Context, srv *servertest.Server, audience, language string) *seeker {
	t.Helper()
	st, err := chatclient.StartConversation(ctx, srv.URL, audience, language, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := chatclient.Dial(ctx, srv.URL, st.Token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.WS.CloseNow() })
	if _, err := c.Sync(ctx, st.ConversationID, 0); err != nil {
		t.Fatal(err)
	}
	return &seeker{started: st, Client: c}
}

func waitOffer(t *testing.T, ctx context.Context, c *chatclient.Client) chatclient.Frame {
	t.Helper()
	f, err := c.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "offer" })
	if err != nil {
		t.Fatalf("no offer: %v", err)
	}
	return f
}

// noFrame asserts that no frame matching match arrives within d.
func noFrame(t *testing.T, c *chatclient.Client, d time.Duration, match func(chatclient.Frame) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if f, err := c.WaitFor(ctx, match); err == nil {
		t.Fatalf("unexpected frame %s", f.Raw)
	}
}

func TestClosedServiceTurnsNewArrivalsToAlternatives(t *testing.T) {
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			srv := servertest.Start(t, store, offerMode(nil))
			var status struct {
				Open   bool   `json:"open"`
				Reason string `json:"reason"`
			}
			mustGetJSON(t, ctx, srv.URL+"/api/status", &status)
			if status.Open || status.Reason != "no_counselor" {
				t.Fatalf("status with no counsellor on shift = %+v", status)
			}
			_, err := chatclient.StartConversation(ctx, srv.URL, "", "", "")
			if se, ok := err.(*chatclient.StatusError); !ok || se.Status != http.StatusServiceUnavailable || se.Code != "closed" {
				t.Fatalf("start while closed: %v", err)
			}
			signIn(t, ctx, srv, "ana", srv.MustCounselor(t, "ana", 2, servertest.Skills{}))
			mustGetJSON(t, ctx, srv.URL+"/api/status", &status)
			if !status.Open {
				t.Fatalf("status with a counsellor on shift = %+v", status)
			}

			holiday := servertest.Start(t, store, offerMode(map[string]string{"HELPLINE_REQUIRE_COUNSELOR": "false",
				"HELPLINE_OPENING_HOURS": "always", "HELPLINE_TIMEZONE": "UTC", "HELPLINE_HOLIDAYS": time.Now().UTC().Format(time.DateOnly)}))
			mustGetJSON(t, ctx, holiday.URL+"/api/status", &status)
			if status.Open || status.Reason != "hours" {
				t.Fatalf("status on a holiday = %+v", status)
			}
			full := servertest.Start(t, store, offerMode(map[string]string{"HELPLINE_REQUIRE_COUNSELOR": "false", "HELPLINE_MAX_QUEUE": "1"}))
			if _, err := chatclient.StartConversation(ctx, full.URL, "", "", ""); err != nil {
				t.Fatal(err)
			}
			_, err = chatclient.StartConversation(ctx, full.URL, "", "", "")
			if se, ok := err.(*chatclient.StatusError); !ok || se.Code != "closed" {
				t.Fatalf("start with a full queue: %v", err)
			}
		})
	}
}

func mustGetJSON(t *testing.T, ctx context.Context, url string, out any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := jsonDecode(resp, out); err != nil {
		t.Fatal(err)
	}
}

func TestOffersRespectSkillsTimeOutAndSetBusy(t *testing.T) {
	forEachStoreWith(t, offerMode(nil), func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		adult, _ := signIn(t, ctx, srv, "adulto", srv.MustCounselor(t, "adulto", 3, servertest.Skills{Languages: []string{"es"}}))
		youth, _ := signIn(t, ctx, srv, "joven", srv.MustCounselor(t, "joven", 3, servertest.Skills{Languages: []string{"es"}, Audiences: []string{"young"}}))

		young := startSeeker(t, ctx, srv, "young", "es")
		offer := waitOffer(t, ctx, youth)
		if offer.Conversation.ID != young.started.ConversationID || offer.Conversation.Audience != "young" || offer.ExpiresAt.IsZero() {
			t.Fatalf("offer = %s", offer.Raw)
		}
		// Let it time out: with one miss allowed, the counsellor is set to busy and told why.
		st, err := youth.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "status" })
		if err != nil || st.Member.Status != "busy" || st.Reason != "missed_offers" {
			t.Fatalf("after a missed offer: %s %v", st.Raw, err)
		}
		// The young person is never offered to the counsellor not trained for them.
		noFrame(t, adult, 1500*time.Millisecond, func(f chatclient.Frame) bool { return f.Type == "offer" })
		// Back to available: offered again, and accepted.
		youth.Send(ctx, map[string]any{"type": "status", "status": "available"})
		offer = waitOffer(t, ctx, youth)
		accept(t, ctx, youth, offer.Conversation.ID)
		if m := nextMessage(t, ctx, young.Client); m.Kind != "joined" || m.Name != "Consejero joven" {
			t.Fatalf("seeker saw %s", m.Raw)
		}
		// Accepting what was not offered to you is refused.
		other := startSeeker(t, ctx, srv, "self", "es")
		o := waitOffer(t, ctx, adult)
		if o.Conversation.ID != other.started.ConversationID {
			t.Fatalf("adult offer = %s", o.Raw)
		}
		youth.Send(ctx, map[string]any{"type": "accept", "conversation_id": other.started.ConversationID})
		expectError(t, ctx, youth, "conflict")
	})
}

func forEachStoreWith(t *testing.T, opts servertest.Options, test func(t *testing.T, srv *servertest.Server)) {
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			test(t, servertest.Start(t, store, opts))
		})
	}
}

func TestEveryWaitingSeekerHearsTheirPlace(t *testing.T) {
	forEachStoreWith(t, servertest.Options{}, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		var seekers []*seeker
		for range 3 {
			seekers = append(seekers, startSeeker(t, ctx, srv, "self", "es"))
		}
		waitPosition := func(s *seeker, want int) {
			t.Helper()
			f, err := s.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "position" && f.Wait.Position == want })
			if err != nil {
				log := srv.Log.String()
				t.Fatalf("seeker never heard position %d: %v\nserver log (end): %s", want, err, log[max(0, len(log)-4000):])
			}
			if f.Wait.Known {
				t.Fatalf("an estimate with no data: %s", f.Raw)
			}
		}
		for i, s := range seekers {
			waitPosition(s, i+1)
		}
		c, _ := mustCounselor(t, ctx, srv, "rosa", 3)
		accept(t, ctx, c, seekers[0].started.ConversationID)
		waitPosition(seekers[1], 1)
		waitPosition(seekers[2], 2)
	})
}

func TestCounselorLossRequeuesAheadWithHistory(t *testing.T) {
	forEachStoreWith(t, servertest.Options{Env: map[string]string{"HELPLINE_COUNSELOR_GRACE": "2s"}}, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := startSeeker(t, ctx, srv, "self", "es")
		id := s.started.ConversationID
		first, _ := signIn(t, ctx, srv, "uno", srv.MustCounselor(t, "uno", 2, servertest.Skills{}))
		accept(t, ctx, first, id)
		send(t, ctx, s.Client, id, "s1", "Me cuesta hablar de esto.")
		send(t, ctx, first, id, "c1", "Tómate tu tiempo.")
		newcomer := startSeeker(t, ctx, srv, "self", "es") // arrived later: must wait behind
		first.WS.CloseNow()

		m, err := s.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "requeued" })
		if err != nil || m.Body != "counselor_left" {
			t.Fatalf("seeker was not told: %s %v", m.Raw, err)
		}
		second, _ := signIn(t, ctx, srv, "dos", srv.MustCounselor(t, "dos", 2, servertest.Skills{}))
		q, err := second.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "queue" && len(f.Waiting) == 2 })
		if err != nil || q.Waiting[0].ConversationID != id || q.Waiting[1].ConversationID != newcomer.started.ConversationID {
			t.Fatalf("returned conversation is not first: %s %v", q.Raw, err)
		}
		second.Send(ctx, map[string]any{"type": "accept", "conversation_id": id})
		if _, err := second.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.ID == id }); err != nil {
			t.Fatal(err)
		}
		history, err := second.Sync(ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, h := range history {
			kinds = append(kinds, h.Kind+":"+h.Body)
		}
		want := "[joined: text:Me cuesta hablar de esto. text:Tómate tu tiempo. requeued:counselor_left joined:]"
		if fmt.Sprint(kinds) != want {
			t.Fatalf("history = %v\nwant %s", kinds, want)
		}
	})
}

func TestTransferToColleagueWithNoteAndToQueue(t *testing.T) {
	forEachStoreWith(t, servertest.Options{}, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := startSeeker(t, ctx, srv, "young", "es")
		id := s.started.ConversationID
		from, _ := signIn(t, ctx, srv, "origen", srv.MustCounselor(t, "origen", 2, servertest.Skills{Audiences: []string{"young"}}))
		to, toIn := signIn(t, ctx, srv, "destino", srv.MustCounselor(t, "destino", 2, servertest.Skills{Audiences: []string{"young"}}))
		accept(t, ctx, from, id)
		other := startSeeker(t, ctx, srv, "young", "es")
		accept(t, ctx, from, other.started.ConversationID)
		team := chatclient.Team{}
		if _, err := from.WaitFor(ctx, func(f chatclient.Frame) bool { return team.Apply(f) && len(team) == 2 }); err != nil {
			t.Fatalf("team never showed both: %v", err)
		}
		from.Send(ctx, map[string]any{"type": "transfer", "conversation_id": id, "to": toIn.Staff.ID, "note": "Tiene 15 años; prefiere frases cortas."})
		if _, err := to.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.ID == id }); err != nil {
			t.Fatal(err)
		}
		if _, err := to.Sync(ctx, id, 0); err != nil {
			t.Fatal(err)
		}
		notes, err := to.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "notes" })
		if err != nil || len(notes.Notes) != 1 || notes.Notes[0].Body != "Tiene 15 años; prefiere frases cortas." || notes.Notes[0].Name != "Consejero origen" {
			t.Fatalf("notes = %s %v", notes.Raw, err)
		}
		m, err := s.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "transferred" })
		if err != nil || m.Name != "Consejero destino" {
			t.Fatalf("seeker saw %s %v", m.Raw, err)
		}
		// The first counsellor has let go of it, and hears nothing more of it,
		// even while their other conversation keeps them busy.
		from.Send(ctx, map[string]any{"type": "send", "conversation_id": id, "client_id": "x", "body": "hola"})
		expectError(t, ctx, from, "not_found")
		from.Discard()
		send(t, ctx, s.Client, id, "after", "esto ya no es para ti")
		send(t, ctx, other.Client, other.started.ConversationID, "o1", "sigo aquí")
		if _, err := from.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "message" && f.Body == "sigo aquí" }); err != nil {
			t.Fatal(err)
		}
		noFrame(t, from, 500*time.Millisecond, func(f chatclient.Frame) bool { return f.ConversationID == id && f.Type == "message" })
		// Now back to the queue for young-people-trained counsellors.
		to.Send(ctx, map[string]any{"type": "transfer", "conversation_id": id, "skill": "young", "note": ""})
		if m, err := s.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "requeued" }); err != nil || m.Body != "transferred" {
			t.Fatalf("seeker saw %s %v", m.Raw, err)
		}
	})
}

func TestTwoInstancesBehaveAsOne(t *testing.T) {
	_, url := migrationstest.MustOpen(t)
	opts := offerMode(map[string]string{"HELPLINE_COUNSELOR_GRACE": "5s"})
	opts.DatabaseURL = url
	a := servertest.Start(t, "postgres", opts)
	b := servertest.Start(t, "postgres", opts)
	ctx := testCtx(t)

	counselor, _ := signIn(t, ctx, b, "lejos", b.MustCounselor(t, "lejos", 2, servertest.Skills{}))
	s := startSeeker(t, ctx, a, "self", "es")
	id := s.started.ConversationID
	offer := waitOffer(t, ctx, counselor) // made by whichever instance leads
	if offer.Conversation.ID != id {
		t.Fatalf("offer = %s", offer.Raw)
	}
	accept(t, ctx, counselor, id)
	send(t, ctx, s.Client, id, "a1", "desde A")
	if m := nextMessage(t, ctx, counselor); m.Body != "desde A" {
		t.Fatalf("counsellor on B got %s", m.Raw)
	}
	send(t, ctx, counselor, id, "b1", "desde B")
	var got chatclient.Frame
	for got.Body != "desde B" {
		got = nextMessage(t, ctx, s.Client)
	}
	// Instance A stops; its seeker reconnects to B and misses nothing.
	a.Close()
	if _, err := s.WaitFor(ctx, func(chatclient.Frame) bool { return false }); chatclient.CloseStatus(err) != 1001 {
		t.Fatalf("seeker was not told to reconnect: %v", err)
	}
	send(t, ctx, counselor, id, "b2", "¿sigues ahí?")
	moved, err := chatclient.Dial(ctx, b.URL, s.started.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer moved.WS.CloseNow()
	msgs, err := moved.Sync(ctx, id, got.Seq)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "¿sigues ahí?" {
		t.Fatalf("resume on B = %v %v", msgs, err)
	}
}

func TestAcceptRaceAcrossInstancesAssignsOnce(t *testing.T) {
	_, url := migrationstest.MustOpen(t)
	opts := servertest.Options{DatabaseURL: url}
	servers := []*servertest.Server{servertest.Start(t, "postgres", opts), servertest.Start(t, "postgres", opts)}
	ctx := testCtx(t)
	const perInstance = 4
	var counselors []*chatclient.Client
	for i := range 2 * perInstance {
		srv := servers[i%2]
		name := fmt.Sprintf("c%d", i)
		c, _ := signIn(t, ctx, srv, name, srv.MustCounselor(t, name, 2, servertest.Skills{}))
		counselors = append(counselors, c)
	}
	for round := range 3 {
		s := startSeeker(t, ctx, servers[round%2], "", "")
		id := s.started.ConversationID
		var wins atomic.Int32
		var wg sync.WaitGroup
		for _, c := range counselors {
			c.Discard()
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.Send(ctx, map[string]any{"type": "accept", "conversation_id": id})
				f, err := c.WaitFor(ctx, func(f chatclient.Frame) bool {
					return f.Type == "error" || f.Type == "conversation" && f.Conversation.ID == id && f.Conversation.Status == "active"
				})
				if err == nil && f.Type == "conversation" {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d counsellors got the conversation", round, wins.Load())
		}
		joined := 0
		msgs, _ := s.Sync(ctx, id, 0)
		for _, m := range msgs {
			if m.Kind == "joined" {
				joined++
			}
		}
		if joined != 1 {
			t.Fatalf("round %d: %d joins stored", round, joined)
		}
	}
}

func TestDeploymentsSharingADatabaseStayApart(t *testing.T) {
	// Two servers, each in its own schema of one database: staff account 1
	// exists in both. Disabling it in one must not touch the other.
	ctx := testCtx(t)
	a, b := servertest.Start(t, "postgres"), servertest.Start(t, "postgres")
	_, inA := signIn(t, ctx, a, "uno", a.MustCounselor(t, "uno", 2, servertest.Skills{}))
	onB, inB := signIn(t, ctx, b, "uno", b.MustCounselor(t, "uno", 2, servertest.Skills{}))
	if inA.Staff.ID != inB.Staff.ID {
		t.Fatalf("the test needs equal staff ids, got %s and %s", inA.Staff.ID, inB.Staff.ID)
	}
	if err := a.Staff.SetDisabled(ctx, 1, true, 0); err != nil {
		t.Fatal(err)
	}
	startSeeker(t, ctx, a, "", "") // A's queue is not B's either
	noFrame(t, onB, 1500*time.Millisecond, func(f chatclient.Frame) bool { return f.Type == "queue" && len(f.Waiting) > 0 })
	if _, err := chatclient.Dial(ctx, b.URL, inB.Token); err != nil {
		t.Fatalf("B's counsellor was signed out by A: %v", err)
	}
	if err := onB.Send(ctx, map[string]any{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	if _, err := onB.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "pong" }); err != nil {
		t.Fatalf("B's socket was closed by A's revocation: %v", err)
	}
}
