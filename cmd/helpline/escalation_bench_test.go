package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/counselors"
	"helpline/routing/escalation"
)

// Issue "escalation and supervision", performance: with 10,000 live
// conversations and 20 supervisor pages connected, how long an escalation
// takes to reach every supervisor, what the supervisor page's live data
// costs each supervisor per second, and what opening the page costs. A real
// in-process server, real WebSocket clients; the conversations are made
// through the chat service (no seeker sockets) so that setup is fast.
// BENCHMARKS.md ("Escalations and the supervisor page") has the figures:
//
//	go test -run '^$' -bench 'Escalation|SupervisorPage' -benchtime 20x ./cmd/helpline/
const (
	benchLiveConversations = 10_000
	benchSupervisors       = 20
	benchPerCounselor      = counselors.MostCapacity
)

// arrival is one frame a supervisor page received.
type arrival struct {
	sup   int
	at    time.Time
	bytes int
	typ   string
	esc   escalation.Frame
}

// supervisorPages are the observing sockets of benchSupervisors
// supervisors, each read by a goroutine of its own that counts every byte.
type supervisorPages struct {
	tokens   []string
	arrivals chan arrival
	mu       sync.Mutex
	bytes    []int // per supervisor, every frame's payload
	byType   map[string]int
	frames   int
	watched  time.Time
}

// benchEscalationServer starts a server on store with
// benchLiveConversations active conversations held by connected
// counsellors, the supervisor pages, and one more counsellor holding one
// conversation to raise escalations on.
func benchEscalationServer(b *testing.B, store string) (*servertest.Server, *supervisorPages, string, string) {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	srv := servertest.Start(b, store, servertest.Options{Env: map[string]string{"HELPLINE_LOG_LEVEL": "warn",
		"HELPLINE_COUNSELOR_GRACE": "10m"}})
	holders := benchLiveConversations / benchPerCounselor
	var wg sync.WaitGroup
	errs := make(chan error, holders+1)
	var raiserToken, raiserConversation string
	for i := range holders + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := benchPerCounselor
			if i == holders {
				n = 1 // the one who raises
			}
			token, ids, err := benchHold(ctx, srv, fmt.Sprintf("holder%03d", i), n)
			if err != nil {
				errs <- err
				return
			}
			if i == holders {
				raiserToken, raiserConversation = token, ids[0]
			}
		}()
		if i%8 == 7 {
			wg.Wait() // a few at a time: the machine is shared
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	pages := &supervisorPages{arrivals: make(chan arrival, 4096), bytes: make([]int, benchSupervisors), byType: map[string]int{}}
	for i := range benchSupervisors {
		username := fmt.Sprintf("sup%02d", i)
		password := srv.MustAccount(b, username, "Supervisora "+username, chat.RoleSupervisor, 1)
		in, err := chatclient.Login(ctx, srv.URL, username, password)
		if err != nil {
			b.Fatal(err)
		}
		c, err := chatclient.DialObserver(ctx, srv.URL, in.Token)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.WS.CloseNow() })
		pages.tokens = append(pages.tokens, in.Token)
		go pages.read(ctx, i, c)
	}
	pages.watch(b, srv)
	return srv, pages, raiserToken, raiserConversation
}

// benchHold signs a counsellor in and has them accept n new conversations,
// through the chat service as the accept frame would.
func benchHold(ctx context.Context, srv *servertest.Server, username string, n int) (string, []string, error) {
	password := "correct horse battery " + username
	if _, err := srv.Staff.AddAccount(ctx, counselors.NewAccount{Username: username, DisplayName: "Consejero " + username,
		Role: chat.RoleCounselor, Password: password, Capacity: n, Languages: []string{"es", "en"}, Audiences: benchAudiences()}, 0); err != nil {
		return "", nil, err
	}
	if n > 5 {
		a, err := srv.Staff.Account(ctx, username)
		if err != nil {
			return "", nil, err
		}
		if _, err := srv.Staff.SetMaxCapacity(ctx, a.ID, n, 0); err != nil {
			return "", nil, err
		}
	}
	in, err := chatclient.Login(ctx, srv.URL, username, password)
	if err != nil {
		return "", nil, err
	}
	c, err := chatclient.Dial(ctx, srv.URL, in.Token)
	if err != nil {
		return "", nil, err
	}
	go func() { // the console reads whatever comes
		for {
			if _, err := c.Next(ctx); err != nil {
				return
			}
		}
	}()
	go func() { <-ctx.Done(); c.WS.CloseNow() }()
	p, staff, err := srv.Chat.Authenticate(ctx, in.Token)
	if err != nil {
		return "", nil, err
	}
	var ids []string
	for i := range n {
		conv, _, _, err := srv.Chat.StartConversation(ctx, chat.NewConversation{Audience: chat.Audiences[i%len(chat.Audiences)], Language: []string{"es", "en"}[i%2]})
		if err != nil {
			return "", nil, err
		}
		if _, err := srv.Chat.Accept(ctx, p, staff, conv.ID); err != nil {
			return "", nil, fmt.Errorf("%s accepting conversation %d: %w", username, i, err)
		}
		ids = append(ids, conv.ID)
	}
	return in.Token, ids, nil
}

func (p *supervisorPages) read(ctx context.Context, sup int, c *chatclient.Client) {
	for {
		f, err := c.Next(ctx)
		if err != nil {
			return
		}
		a := arrival{sup: sup, at: time.Now(), bytes: len(f.Raw), typ: f.Type}
		if f.Type == "escalation" {
			json.Unmarshal(f.Raw, &a.esc)
		}
		p.mu.Lock()
		p.bytes[sup] += a.bytes
		p.byType[f.Type] += a.bytes
		p.frames++
		p.mu.Unlock()
		if f.Type == "escalation" {
			p.arrivals <- a
		}
	}
}

// watch asks for the open escalations as each page does every 30 s, which
// keeps its supervisor on shift for escalations.
func (p *supervisorPages) watch(b *testing.B, srv *servertest.Server) {
	if time.Since(p.watched) < 30*time.Second {
		return
	}
	for _, token := range p.tokens {
		req, _ := http.NewRequest("GET", srv.URL+"/api/escalations", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("GET /api/escalations: %d", res.StatusCode)
		}
	}
	p.watched = time.Now()
}

// waitAll waits until every supervisor got the frame of event about id and
// returns how long after since each did.
func (p *supervisorPages) waitAll(b *testing.B, id, event string, since time.Time) []time.Duration {
	var out []time.Duration
	seen := map[int]bool{}
	timeout := time.After(10 * time.Second)
	for len(seen) < benchSupervisors {
		select {
		case a := <-p.arrivals:
			if a.esc.EscalationID == id && a.esc.Event == event && !seen[a.sup] {
				seen[a.sup] = true
				out = append(out, a.at.Sub(since))
			}
		case <-timeout:
			b.Fatalf("%d of %d supervisors heard %s %s", len(seen), benchSupervisors, event, id)
		}
	}
	return out
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, (len(s)*p+99)/100-1)]
}

// benchEscalationDelivery raises an escalation on the one counsellor's
// conversation per iteration, waits until every supervisor has it, and
// resolves it (outside the figure) for the next one.
func benchEscalationDelivery(b *testing.B, store string) {
	srv, pages, token, conversation := benchEscalationServer(b, store)
	ctx := context.Background()
	var delivery, answers []time.Duration // raise → each supervisor's frame; raise → the counsellor's answer
	reasons := []escalation.Reason{escalation.ReasonSelfHarm, escalation.ReasonChildAtRisk, escalation.ReasonAcuteDistress}
	i := 0
	for b.Loop() {
		b.StopTimer()
		pages.watch(b, srv)
		b.StartTimer()
		start := time.Now()
		var r raised
		if err := chatclient.PostJSON(ctx, srv.URL+"/api/escalations", token, map[string]any{"request_id": fmt.Sprintf("bench-%d", i),
			"conversation_id": conversation, "reason": reasons[i%len(reasons)], "urgency": "now", "note": "bench"}, http.StatusCreated, &r); err != nil {
			b.Fatal(err)
		}
		answers = append(answers, time.Since(start))
		delivery = append(delivery, pages.waitAll(b, r.Escalation.ID, escalation.EventRaised, start)...)
		b.StopTimer()
		if err := chatclient.PostJSON(ctx, srv.URL+"/api/escalations/"+r.Escalation.ID+"/resolve", pages.tokens[0],
			map[string]any{"outcome": "advice_given", "note": ""}, http.StatusOK, nil); err != nil {
			b.Fatal(err)
		}
		pages.waitAll(b, r.Escalation.ID, escalation.EventResolved, time.Now())
		b.StartTimer()
		i++
	}
	b.ReportMetric(float64(percentile(delivery, 50))/1e6, "p50-ms")
	b.ReportMetric(float64(percentile(delivery, 99))/1e6, "p99-ms")
	b.ReportMetric(float64(percentile(answers, 50))/1e6, "answer-p50-ms")
	b.ReportMetric(float64(len(delivery)), "deliveries")
}

func BenchmarkEscalationDeliveryMemory(b *testing.B)   { benchEscalationDelivery(b, "memory") }
func BenchmarkEscalationDeliveryPostgres(b *testing.B) { benchEscalationDelivery(b, "postgres") }

func benchAudiences() []string {
	var out []string
	for _, a := range chat.Audiences {
		if a != "" {
			out = append(out, string(a))
		}
	}
	return out
}

// benchSteadyState runs the service for one second per iteration, with two
// seekers arriving and two leaving the queue each second, and measures what
// each supervisor page receives: its socket's frames, plus the lists the
// page reads again on its timers (live conversations every 15 s, the team
// at most every 10 s, the open escalations every 30 s; live.js, team.js,
// escalations.js), each of which is the same for every supervisor.
func benchSteadyState(b *testing.B, store string) {
	srv, pages, _, _ := benchEscalationServer(b, store)
	ctx := context.Background()
	time.Sleep(3 * time.Second) // the summaries of the setup go out
	pages.mu.Lock()
	clear(pages.bytes)
	clear(pages.byType)
	pages.frames = 0
	pages.mu.Unlock()
	var waiting []string
	for b.Loop() {
		next := time.Now().Add(time.Second)
		pages.watch(b, srv)
		for range 2 {
			_, token, _, err := srv.Chat.StartConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es"})
			if err != nil {
				b.Fatal(err)
			}
			waiting = append(waiting, token)
		}
		for len(waiting) > 4 {
			if err := srv.Chat.Leave(ctx, waiting[0]); err != nil {
				b.Fatal(err)
			}
			waiting = waiting[1:]
		}
		time.Sleep(time.Until(next))
	}
	elapsed := b.Elapsed().Seconds()
	pages.mu.Lock()
	total := 0
	for _, n := range pages.bytes {
		total += n
	}
	socket := float64(total) / benchSupervisors / elapsed
	summary := float64(pages.byType["supervisor_summary"]) / benchSupervisors / elapsed
	frames := float64(pages.frames) / benchSupervisors / elapsed
	pages.mu.Unlock()
	polled := 0.0
	for url, every := range map[string]float64{"/api/supervisor/conversations?offset=0&limit=25": 15, "/api/supervisor/team?offset=0&limit=25": 10, "/api/escalations": 30} {
		polled += float64(benchGetBytes(b, srv.URL+url, pages.tokens[0])) / every
	}
	b.ReportMetric(socket, "socket-B/s/supervisor")
	b.ReportMetric(summary, "summary-B/s/supervisor")
	b.ReportMetric(frames, "frames/s/supervisor")
	b.ReportMetric(polled, "polled-B/s/supervisor")
	b.ReportMetric(socket+polled, "total-B/s/supervisor")
}

func benchGetBytes(b *testing.B, url, token string) int {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var buf [32 << 10]byte
	n := 0
	for {
		m, err := res.Body.Read(buf[:])
		n += m
		if err != nil {
			break
		}
	}
	if res.StatusCode != 200 {
		b.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	return n
}

func BenchmarkSupervisorPageSteadyStateMemory(b *testing.B)   { benchSteadyState(b, "memory") }
func BenchmarkSupervisorPageSteadyStatePostgres(b *testing.B) { benchSteadyState(b, "postgres") }

// benchFirstScreen opens the supervisor page as a browser would once
// signed in, with 10,000 live conversations: the page, then its first
// reads at once (summary, team, live conversations, chart history, open
// escalations), a page of 25 each. One iteration is the whole first screen
// over HTTP (the drawing in the browser is not in it).
func benchFirstScreen(b *testing.B, store string) {
	srv, pages, _, _ := benchEscalationServer(b, store)
	token := pages.tokens[0]
	reads := []string{"/api/supervisor/summary", "/api/supervisor/team?offset=0&limit=25",
		"/api/supervisor/conversations?offset=0&limit=25", "/api/supervisor/history", "/api/escalations"}
	var slowest []time.Duration
	bytes := 0
	for b.Loop() {
		start := time.Now()
		bytes = benchGetBytes(b, srv.URL+"/supervisor", "")
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, r := range reads {
			wg.Go(func() {
				n := benchGetBytes(b, srv.URL+r, token)
				mu.Lock()
				bytes += n
				mu.Unlock()
			})
		}
		wg.Wait()
		slowest = append(slowest, time.Since(start))
	}
	b.ReportMetric(float64(percentile(slowest, 99))/1e6, "p99-ms")
	b.ReportMetric(float64(bytes), "bytes")
}

func BenchmarkSupervisorPageFirstScreenMemory(b *testing.B)   { benchFirstScreen(b, "memory") }
func BenchmarkSupervisorPageFirstScreenPostgres(b *testing.B) { benchFirstScreen(b, "postgres") }
