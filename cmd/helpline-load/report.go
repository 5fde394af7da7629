package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything a run measured. Durations are in seconds unless the
// name says milliseconds; memory is in KiB.
type Report struct {
	RunID    string    `json:"run_id"`
	Label    string    `json:"label,omitempty"`
	Started  time.Time `json:"started"`
	Settings Settings  `json:"settings"`
	Machine  struct {
		CPUs       int    `json:"cpus"`
		GOMAXPROCS int    `json:"gomaxprocs"`
		GoVersion  string `json:"go_version"`
		LoadBefore string `json:"load_before"` // /proc/loadavg: other processes share the cores
		LoadAfter  string `json:"load_after"`
	} `json:"machine"`
	Connections struct {
		Total           int   `json:"total"` // seekers + counsellors
		Seekers         int   `json:"seekers"`
		Counselors      int   `json:"counselors"`
		Open            int   `json:"open_at_steady"`
		Peak            int   `json:"peak_open"`
		Connects        int64 `json:"connects"` // successful WebSocket sign-ins, reconnects included
		FailedAttempts  int64 `json:"failed_attempts"`
		UnexpectedDrops int64 `json:"unexpected_drops"` // closed by the server or the network, not by the storm
		// Frames other than error that came before ready (an offer, say):
		// PROTOCOL.md §3.1 says ready is always first. Fails the run.
		FramesBeforeReady int64 `json:"frames_before_ready"`
	} `json:"connections"`
	Conversations struct {
		Started         int   `json:"started"`
		Established     int   `json:"established"` // assigned and synced on both sides
		Ended           int   `json:"ended"`
		AcceptConflicts int64 `json:"accept_conflicts"`
	} `json:"conversations"`
	Messages struct {
		Sent     int64 `json:"sent"`
		Acked    int64 `json:"acked"`
		Received int64 `json:"received"`
		Lost     int64 `json:"lost"` // acknowledged, never received (plus seq gaps)
		// Lost because the receiver was away when the conversation ended:
		// staff reconnecting are not given ended conversations to sync.
		LostEndedAway int64   `json:"lost_ended_away"`
		Duplicated    int64   `json:"duplicated"` // received more than once, or stored twice
		Unacked       int64   `json:"unacked"`
		SeqGaps       int64   `json:"seq_gaps"`
		SeqRepeats    int64   `json:"seq_repeats"`
		Resent        int64   `json:"resent"`  // unacknowledged sends repeated after a reconnect
		Retried       int64   `json:"retried"` // sends repeated after "unavailable"
		Refused       int64   `json:"refused"`
		RateLimited   int64   `json:"rate_limited"`
		PerSecond     float64 `json:"per_second"` // received per second in the steady phase
	} `json:"messages"`
	Latency Percentiles `json:"latency"` // send → other side's receipt, steady phase
	// The same, by who received: the seeker (from the counsellor) or the counsellor.
	LatencyToSeeker    Percentiles    `json:"latency_to_seeker"`
	LatencyToCounselor Percentiles    `json:"latency_to_counselor"`
	AckLatency         Percentiles    `json:"ack_latency"`            // send → ack (durably stored), steady phase
	SlowWindows        []SlowWindow   `json:"slow_windows,omitempty"` // where the steady tail came from (slow.go)
	StormLatency       Percentiles    `json:"storm_latency"`          // send → receipt for messages received from the storm on
	Assignment         Percentiles    `json:"assignment"`             // seeker's arrival → told a counsellor took it
	Received           []FrameCount   `json:"frames_received"`        // by the clients, per frame type, whole run
	ReceivedSteady     []FrameCount   `json:"frames_received_steady"` // the same, steady phase only
	StaffFrames        StaffFrames    `json:"staff_frames"`           // what the consoles received
	Headline           Headline       `json:"headline"`
	Runtime            *RuntimeReport `json:"server_runtime,omitempty"`
	Storm              *StormReport   `json:"storm,omitempty"`
	Queue              *QueueReport   `json:"queue,omitempty"`
	Server             struct {
		PID              int     `json:"pid,omitempty"`
		RSSIdleKiB       int64   `json:"rss_idle_kib"`       // before the run
		RSSSignedInKiB   int64   `json:"rss_signed_in_kib"`  // just after the counsellors signed in (argon2id garbage)
		RSSBaselineKiB   int64   `json:"rss_baseline_kib"`   // once that memory was handed back, before any WebSocket
		RSSConnectedKiB  int64   `json:"rss_connected_kib"`  // every conversation established, before messaging
		RSSPeakKiB       int64   `json:"rss_peak_kib"`       // sampled every 250 ms (not while the generator provokes a collection)
		RSSFinalKiB      int64   `json:"rss_final_kib"`      // after everyone left
		PerConnectionKiB float64 `json:"per_connection_kib"` // (connected − baseline) / open connections
		MarginalKiB      float64 `json:"marginal_kib"`       // growth per connection over the second half of the ramp
		CPUSeconds       float64 `json:"cpu_seconds"`        // whole run
		CPUSteadySeconds float64 `json:"cpu_steady_seconds"`
		CPUSteadyCores   float64 `json:"cpu_steady_cores"` // CPU seconds per second in the steady phase
	} `json:"server"`
	Postgres  *PostgresReport `json:"postgres,omitempty"`
	Generator struct {
		CPUSeconds       float64 `json:"cpu_seconds"`
		CPUSteadySeconds float64 `json:"cpu_steady_seconds"`
		CPUSteadyCores   float64 `json:"cpu_steady_cores"`
	} `json:"generator"`
	Phases struct {
		// Accounts made and signed in (argon2id hashing), all of it before
		// the first WebSocket: outside every window measured below.
		SignIn   float64 `json:"sign_in"`
		Consoles float64 `json:"consoles"`
		Ramp     float64 `json:"ramp"` // arrivals until all established
		Steady   float64 `json:"steady"`
		Drain    float64 `json:"drain"`
		Queue    float64 `json:"queue"`
		End      float64 `json:"end"`
	} `json:"phases_seconds"`
	Failures []string `json:"failures"` // why OK is false
	Problems []string `json:"problems"` // first few oddities seen, for diagnosis
	OK       bool     `json:"ok"`
}

// Settings echo the options of the run.
type Settings struct {
	URL               string  `json:"url"`
	Seekers           int     `json:"seekers"`
	CounselorCapacity int     `json:"counselor_capacity"`
	Routing           string  `json:"routing"`
	ArrivalRate       float64 `json:"arrival_rate"`
	Duration          float64 `json:"duration_seconds"`
	Interval          float64 `json:"interval_seconds"`
	Jitter            float64 `json:"jitter_seconds"`
	BodyBytes         int     `json:"body_bytes"`
	Storm             bool    `json:"storm"`
	Pairs             bool    `json:"pairs"`
	Target            string  `json:"target"`
}

// StaffFrames are the frames the counsellors' consoles received, per type,
// while they connected and seekers arrived (the ramp) and in the steady
// phase; the bytes are those of the staff types (staffFrameTypes) alone.
type StaffFrames struct {
	Ramp        []FrameCount `json:"ramp"`
	Steady      []FrameCount `json:"steady"`
	RampBytes   int64        `json:"ramp_staff_bytes"`
	SteadyBytes int64        `json:"steady_staff_bytes"`
}

// staffFrameTypes are the frames about the team and the queue rather than
// one's own conversations: what grows with the number of consoles.
var staffFrameTypes = map[string]bool{"team": true, "team_changes": true, "queue": true, "queue_changes": true, "queue_total": true, "offer": true, "status": true, "position": true, "other": true}

func staffBytes(fc []FrameCount) int64 {
	var n int64
	for _, f := range fc {
		if staffFrameTypes[f.Type] {
			n += f.Bytes
		}
	}
	return n
}

// Headline is the steady phase's cost: the CPU of the server and (with
// --postgres-cpu) of every postgres process, in cores, per 1,000 messages
// a second received.
type Headline struct {
	MessagesPerSecond float64 `json:"messages_per_second"`
	ServerCores       float64 `json:"server_cores"`
	PostgresCores     float64 `json:"postgres_cores"`
	TotalCores        float64 `json:"total_cores"`
	CoresPer1000      float64 `json:"cores_per_1000_messages_per_second"`
	// Without other clients' backends (when the server's could be told
	// apart): server + its backends + PostgreSQL's background processes.
	OwnCoresPer1000 float64 `json:"own_cores_per_1000_messages_per_second,omitempty"`
}

func (r *Report) headline() {
	h := Headline{MessagesPerSecond: r.Messages.PerSecond, ServerCores: r.Server.CPUSteadyCores}
	if r.Postgres != nil {
		h.PostgresCores = r.Postgres.CPUSteadyCores
	}
	h.TotalCores = round2(h.ServerCores + h.PostgresCores)
	if h.MessagesPerSecond > 0 {
		h.CoresPer1000 = round2(h.TotalCores / (h.MessagesPerSecond / 1000))
		if pg := r.Postgres; pg != nil && pg.Attributed {
			h.OwnCoresPer1000 = round2((h.ServerCores + pg.ServerBackendsCores + pg.BackgroundCores) / (h.MessagesPerSecond / 1000))
		}
	}
	r.Headline = h
	r.StaffFrames.RampBytes = staffBytes(r.StaffFrames.Ramp)
	r.StaffFrames.SteadyBytes = staffBytes(r.StaffFrames.Steady)
}

// PostgresReport is the CPU of every postgres process on the machine in the
// steady phase (other users of the database included).
type PostgresReport struct {
	CPUSteadySeconds float64           `json:"cpu_steady_seconds"`
	CPUSteadyCores   float64           `json:"cpu_steady_cores"`
	Processes        []PostgresProcess `json:"processes"` // each that used any CPU, busiest first
	// The same CPU by whose it was (pgowner.go), when the server's pid was known.
	Attributed          bool    `json:"attributed"`
	ServerBackendsCores float64 `json:"server_backends_cores"` // backends of the measured server's connections
	BackgroundCores     float64 `json:"background_cores"`      // postmaster, checkpointer, WAL writer …, shared by every client
	OtherBackendsCores  float64 `json:"other_backends_cores"`  // other clients' backends: not the server's doing
}

// PostgresProcess is one postgres process's CPU in the steady phase.
type PostgresProcess struct {
	PID        int     `json:"pid"`
	Title      string  `json:"title"`
	CPUSeconds float64 `json:"cpu_seconds"`
	Cores      float64 `json:"cores"`
	Kind       string  `json:"kind"` // server, background or other
}

// StormReport is the reconnect storm: every client dropped at once.
type StormReport struct {
	Clients           int         `json:"clients"`
	ClientsResumed    int         `json:"clients_resumed"`
	Conversations     int         `json:"conversations"`
	Resumed           int         `json:"conversations_resumed"`
	AllResumedSeconds float64     `json:"all_resumed_seconds"` // drop → last conversation synced on both sides
	Client            Percentiles `json:"client_resume"`       // drop → client synced every conversation
	Conversation      Percentiles `json:"conversation_resume"`
	InFlight          int64       `json:"in_flight"` // sent but not acknowledged at the drop
	Resent            int64       `json:"resent"`
	FailedAttempts    int64       `json:"failed_attempts"`
}

func newReport(o Options) Report {
	r := Report{RunID: o.RunID, Label: o.Label, Started: time.Now().UTC().Truncate(time.Second), Failures: []string{}, Problems: []string{},
		Settings: Settings{URL: o.URL, Seekers: o.Seekers, CounselorCapacity: o.CounselorCapacity, Routing: o.Routing, ArrivalRate: o.ArrivalRate,
			Duration: o.Duration.Seconds(), Interval: o.Interval.Seconds(), Jitter: o.Jitter.Seconds(), BodyBytes: o.BodyBytes, Storm: o.Storm,
			Pairs: o.Pairs, Target: cmp.Or(o.Target, TargetHelpline)}}
	r.Server.PID = o.ServerPID
	return r
}

func (r *Report) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

func (r *Report) finish() { r.OK = len(r.Failures) == 0 }

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report for people.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	s := r.Settings
	label := ""
	if r.Label != "" {
		label = "  " + r.Label
	}
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	row("run", "%s%s  %s  (%d CPUs, GOMAXPROCS %d, %s; load average %s before, %s after)", r.RunID, label, r.Started.Format(time.RFC3339),
		r.Machine.CPUs, r.Machine.GOMAXPROCS, r.Machine.GoVersion, r.Machine.LoadBefore, r.Machine.LoadAfter)
	h := r.Headline
	row("HEADLINE", "%.2f cores per 1,000 messages/s (server %.2f + PostgreSQL %.2f = %.2f cores at %.0f messages/s, steady phase)",
		h.CoresPer1000, h.ServerCores, h.PostgresCores, h.TotalCores, h.MessagesPerSecond)
	if h.OwnCoresPer1000 > 0 {
		row("  without others", "%.2f cores per 1,000 messages/s (other clients' postgres backends left out)", h.OwnCoresPer1000)
	}
	row("settings", "%s%d seekers, capacity %d, %s routing, arrivals %.0f/s, %gs steady, each side every %gs ± %gs, %d-byte bodies, storm %v",
		pairsLabel(s), s.Seekers, s.CounselorCapacity, s.Routing, s.ArrivalRate, s.Duration, s.Interval, s.Jitter, s.BodyBytes, s.Storm)
	c := r.Connections
	row("connections", "%d (%d seekers + %d counsellors); open at steady %d, peak %d; %d WebSocket connects, %d failed attempts, %d unexpected drops, %d frames before ready",
		c.Total, c.Seekers, c.Counselors, c.Open, c.Peak, c.Connects, c.FailedAttempts, c.UnexpectedDrops, c.FramesBeforeReady)
	v := r.Conversations
	row("conversations", "%d started, %d established, %d ended; %d accept conflicts", v.Started, v.Established, v.Ended, v.AcceptConflicts)
	m := r.Messages
	row("messages", "sent %d, acked %d, received %d, LOST %d, DUPLICATED %d, unacked %d (resent %d, retried %d, refused %d, rate-limited %d)",
		m.Sent, m.Acked, m.Received, m.Lost, m.Duplicated, m.Unacked, m.Resent, m.Retried, m.Refused, m.RateLimited)
	row("throughput", "%.1f messages/s received (steady phase)", m.PerSecond)
	r.writeLatency(row)
	row("assignment", "%s  (arrival → assigned)", pct(r.Assignment, false))
	for _, fc := range []struct {
		name   string
		counts []FrameCount
	}{{"frames in", r.Received}, {"  in steady", r.ReceivedSteady}} {
		if len(fc.counts) > 0 {
			row(fc.name, "%s", frameList(fc.counts))
		}
	}
	r.writeStaffFrames(row)
	if st := r.Storm; st != nil {
		row("storm", "%d clients dropped at once; %d/%d conversations resumed, all within %.2f s (client p50 %.0f ms, p99 %.0f ms); %d in flight, %d resent, %d failed attempts",
			st.Clients, st.Resumed, st.Conversations, st.AllResumedSeconds, st.Client.P50, st.Client.P99, st.InFlight, st.Resent, st.FailedAttempts)
		row("storm latency", "%s  (messages received from the drop on)", pct(r.StormLatency, true))
	}
	if q := r.Queue; q != nil {
		row("waiting queue", "%d seekers waiting, %d rounds; end → offer to the freed counsellor %s; accept → new place %s; %d rounds without offer, %d places not updated",
			q.Waiting, q.Rounds, pct(q.Offer, false), pct(q.Position, false), q.NoOffer, q.MissedPositions)
	}
	sv := r.Server
	if sv.PID > 0 {
		row("server memory", "RSS idle %s, after sign-ins %s, baseline %s, connected %s, peak %s, final %s",
			mib(sv.RSSIdleKiB), mib(sv.RSSSignedInKiB), mib(sv.RSSBaselineKiB), mib(sv.RSSConnectedKiB), mib(sv.RSSPeakKiB), mib(sv.RSSFinalKiB))
		row("per connection", "%.1f KiB ((connected − baseline) / open connections); %.1f KiB marginal (second half of the ramp)", sv.PerConnectionKiB, sv.MarginalKiB)
		row("server CPU", "%.1f s in all; steady %.1f s = %.2f cores", sv.CPUSeconds, sv.CPUSteadySeconds, sv.CPUSteadyCores)
	} else {
		row("server", "not measured (give --server-pid)")
	}
	if rt := r.Runtime; rt != nil {
		row("server runtime", "live heap %s → %s, stacks %s → %s (%d goroutines): %.1f KiB per connection; store batches of %.1f messages in the steady phase; %d closed as slow, %d frames refused",
			mib(rt.LiveHeapBaselineKiB), mib(rt.LiveHeapConnectedKiB), mib(rt.StacksBaselineKiB), mib(rt.StacksConnectedKiB), rt.Goroutines,
			rt.PerConnectionKiB, rt.BatchMean, rt.SlowClosed, rt.Refused)
	}
	r.writePostgres(row)
	g := r.Generator
	row("generator CPU", "%.1f s in all; steady %.1f s = %.2f cores", g.CPUSeconds, g.CPUSteadySeconds, g.CPUSteadyCores)
	p := r.Phases
	row("phases", "sign-in %.1f s (accounts and sign-ins, before any WebSocket: outside the measure windows), consoles %.1f s, ramp %.1f s, steady %.1f s, drain %.1f s, queue %.1f s, end %.1f s",
		p.SignIn, p.Consoles, p.Ramp, p.Steady, p.Drain, p.Queue, p.End)
	for _, pr := range r.Problems {
		row("problem", "%s", pr)
	}
	if r.OK {
		row("result", "OK")
	} else {
		row("result", "FAILED: %s", strings.Join(r.Failures, "; "))
	}
	tw.Flush()
}

func (r *Report) writeLatency(row func(k, format string, args ...any)) {
	row("latency", "%s  (send → other side's receipt, steady)", pct(r.Latency, true))
	row("  to seeker", "%s", pct(r.LatencyToSeeker, true))
	row("  to counsellor", "%s", pct(r.LatencyToCounselor, true))
	row("ack", "%s  (send → ack, stored)", pct(r.AckLatency, true))
	if len(r.SlowWindows) > 0 {
		row("slowest windows", "%s  (deliveries of ≥ 10 ms by 250 ms of send time, steady)", slowList(r.SlowWindows))
	}
}

func (r *Report) writeStaffFrames(row func(k, format string, args ...any)) {
	sf := r.StaffFrames
	row("console frames", "staff frames (%s) %s during the ramp, %s in the steady phase", staffList(), size(sf.RampBytes), size(sf.SteadyBytes))
	for _, fc := range []struct {
		name   string
		counts []FrameCount
	}{{"  in ramp", sf.Ramp}, {"  in steady", sf.Steady}} {
		if len(fc.counts) > 0 {
			row(fc.name, "%s", frameList(fc.counts))
		}
	}
}

func (r *Report) writePostgres(row func(k, format string, args ...any)) {
	if pg := r.Postgres; pg != nil {
		row("PostgreSQL CPU", "steady %.1f s = %.2f cores (every postgres process on the machine)", pg.CPUSteadySeconds, pg.CPUSteadyCores)
		if pg.Attributed {
			row("  by whose", "%.2f cores in the server's backends, %.2f in background processes, %.2f in other clients' backends",
				pg.ServerBackendsCores, pg.BackgroundCores, pg.OtherBackendsCores)
		}
		for _, p := range pg.Processes {
			row("  postgres", "pid %d (%s): %.2f s = %.2f cores  %.70s", p.PID, p.Kind, p.CPUSeconds, p.Cores, p.Title)
		}
	}
}

func frameList(counts []FrameCount) string {
	var parts []string
	for _, f := range counts {
		parts = append(parts, fmt.Sprintf("%s %d (%s)", f.Type, f.Frames, size(f.Bytes)))
	}
	return strings.Join(parts, ", ")
}

func slowList(ws []SlowWindow) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("+%.2f s %d (max %.0f ms)", w.OffsetS, w.Slow, w.MaxMS)
	}
	return strings.Join(parts, ", ")
}

func staffList() string {
	var names []string
	for _, t := range frameTypes {
		if staffFrameTypes[t] {
			names = append(names, t)
		}
	}
	return strings.Join(names, ", ")
}

func pairsLabel(s Settings) string {
	if !s.Pairs {
		return ""
	}
	return "pairs against " + s.Target + ": "
}

func pct(p Percentiles, p95 bool) string {
	if p.Count == 0 {
		return "no samples"
	}
	if p95 {
		return fmt.Sprintf("p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms (n=%d)", p.P50, p.P95, p.P99, p.Max, p.Count)
	}
	return fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, max %.2f ms (n=%d)", p.P50, p.P99, p.Max, p.Count)
}

func size(b int64) string {
	switch {
	case b >= 10<<20:
		return fmt.Sprintf("%d MiB", b>>20)
	case b >= 10<<10:
		return fmt.Sprintf("%d KiB", b>>10)
	}
	return fmt.Sprintf("%d B", b)
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func secs(d time.Duration) float64 { return round2(d.Seconds()) }
func round1(f float64) float64     { return math.Round(f*10) / 10 }
func round2(f float64) float64     { return math.Round(f*100) / 100 }
