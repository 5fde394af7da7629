package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sideID is one of the two participants of a conversation.
type sideID int

const (
	seekerSide sideID = iota
	counselorSide
)

// sender is the wire name of messages written by this side.
func (s sideID) sender() string {
	if s == seekerSide {
		return "seeker"
	}
	return "counselor"
}

func (s sideID) other() sideID { return 1 - s }

// msgRec is everything known about one message a side sent.
type msgRec struct {
	sentAt int64 // UnixNano of the first send; also written in the body
	ackSeq int64 // seq of the first ack, 0 while unacknowledged
	recv   int32 // how often the other side received it
}

// conversation is the generator's record of one conversation: both sides'
// sent messages, so that each receipt can be checked against what was
// acknowledged to the sender.
type conversation struct {
	idx int
	id  string

	arrivedNs  atomic.Int64 // seeker asked to start it
	assignedNs atomic.Int64 // seeker learnt it was assigned
	synced     [2]atomic.Bool
	counted    atomic.Bool // counted as established
	ended      [2]atomic.Bool
	endedAway  [2]atomic.Bool  // that side was away when it ended and may no longer sync it
	resumedNs  [2]atomic.Int64 // after the storm: side synced again
	position   atomic.Int64    // place in the queue, from the last position frame
	positionNs atomic.Int64    // when that frame came
	offeredNs  atomic.Int64    // a counsellor was offered it
	acceptNs   atomic.Int64    // a counsellor sent accept
	clients    [2]atomic.Pointer[client]

	mu   sync.Mutex
	sent [2][]msgRec
}

// registry finds conversations by id (from frames) and by index (from
// client ids and bodies).
type registry struct {
	mu    sync.Mutex
	byID  map[string]*conversation
	byIdx []*conversation
}

func (g *registry) get(id string) *conversation {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.byID[id]; c != nil {
		return c
	}
	c := &conversation{idx: len(g.byIdx), id: id}
	g.byID[id] = c
	g.byIdx = append(g.byIdx, c)
	return c
}

func (g *registry) at(idx int) *conversation {
	g.mu.Lock()
	defer g.mu.Unlock()
	if idx < 0 || idx >= len(g.byIdx) {
		return nil
	}
	return g.byIdx[idx]
}

func (g *registry) all() []*conversation {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*conversation(nil), g.byIdx...)
}

// clientID names message n of conversation idx for its sender: unique per
// sender across all its conversations, so an error's ref leads back to it.
func clientID(idx, n int) string { return strconv.Itoa(idx) + "-" + strconv.Itoa(n) }

func parseClientID(s string) (idx, n int, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	idx, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	return idx, n, err1 == nil && err2 == nil
}

// messageBody is "L1 <idx>-<side>-<n> <unixnano> xxxx…", padded to size.
func messageBody(idx int, side sideID, n int, sentAt int64, size int) string {
	b := make([]byte, 0, max(size, 48))
	b = append(b, "L1 "...)
	b = strconv.AppendInt(b, int64(idx), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(side), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, sentAt, 10)
	b = append(b, ' ')
	for len(b) < size {
		b = append(b, 'x')
	}
	return string(b)
}

func parseBody(body string) (idx int, side sideID, n int, sentAt int64, ok bool) {
	f := strings.SplitN(body, " ", 4)
	if len(f) < 3 || f[0] != "L1" {
		return
	}
	ids := strings.Split(f[1], "-")
	if len(ids) != 3 {
		return
	}
	var err [4]error
	idx, err[0] = strconv.Atoi(ids[0])
	var s int
	s, err[1] = strconv.Atoi(ids[1])
	n, err[2] = strconv.Atoi(ids[2])
	sentAt, err[3] = strconv.ParseInt(f[2], 10, 64)
	for _, e := range err {
		if e != nil {
			return 0, 0, 0, 0, false
		}
	}
	return idx, sideID(s), n, sentAt, s == 0 || s == 1
}

// sendFrame encodes a send frame by hand: every part is ASCII that JSON
// needs no escaping for (a UUID, digits, the body above).
func sendFrame(conversationID, clientID, body string) []byte {
	b := make([]byte, 0, len(body)+len(conversationID)+len(clientID)+64)
	b = append(b, `{"type":"send","conversation_id":"`...)
	b = append(b, conversationID...)
	b = append(b, `","client_id":"`...)
	b = append(b, clientID...)
	b = append(b, `","body":"`...)
	b = append(b, body...)
	b = append(b, `"}`...)
	return b
}

// counters are the run's event counts, updated from every goroutine.
type counters struct {
	sent, acked, received     atomic.Int64
	steadyReceived            atomic.Int64
	ackRepeats                atomic.Int64 // a retried send acked again with the same seq (fine)
	ackConflicts              atomic.Int64 // a retried send acked with another seq: stored twice
	dupReceipts               atomic.Int64 // a message received again under another seq
	seqRepeats, seqGaps       atomic.Int64
	foreign                   atomic.Int64 // frames about things this run did not make
	sendRetries, sendErrors   atomic.Int64
	resent                    atomic.Int64 // unacknowledged messages sent again after a reconnect
	accepts, acceptConflicts  atomic.Int64
	acceptErrors              atomic.Int64
	errorFrames, rateLimited  atomic.Int64
	arrivals, arrivalFailures atomic.Int64
	connects, connectFailures atomic.Int64
	unexpectedDrops           atomic.Int64
	beforeReady               atomic.Int64 // frames (other than error) a client got before ready: a protocol violation
	established, endedSides   atomic.Int64
	endedAway                 atomic.Int64 // a counsellor was away when it ended and was refused its tail
	lateRefusals              atomic.Int64 // a repeat of an already acknowledged send refused (harmless)
	open, peakOpen            atomic.Int64
	firstErrors               sync.Mutex
	errorLog                  []string
}

// note keeps the first few distinct problems for the report.
func (c *counters) note(format string, args ...any) {
	msg := sprintf(format, args...)
	c.firstErrors.Lock()
	defer c.firstErrors.Unlock()
	if len(c.errorLog) < 20 {
		c.errorLog = append(c.errorLog, msg)
	}
}

func (c *counters) opened() {
	n := c.open.Add(1)
	for {
		p := c.peakOpen.Load()
		if n <= p || c.peakOpen.CompareAndSwap(p, n) {
			return
		}
	}
}

// traffic counts the frames the clients received, by type: how much of
// what the server sends is chat, and how much is queue and team updates.
type traffic struct {
	kinds map[string]*[2]atomic.Int64 // frames, bytes; fixed after newTraffic
}

var frameTypes = []string{"message", "ack", "synced", "conversation", "queue", "queue_changes", "queue_total", "team", "team_changes", "position", "offer", "status",
	"ready", "error", "pong", "typing", "notes", "own", "ping", "other"}

func newTraffic() *traffic {
	t := &traffic{kinds: map[string]*[2]atomic.Int64{}}
	for _, k := range frameTypes {
		t.kinds[k] = new([2]atomic.Int64)
	}
	return t
}

func (t *traffic) add(kind string, n int) {
	k := t.kinds[kind]
	if k == nil {
		k = t.kinds["other"]
	}
	k[0].Add(1)
	k[1].Add(int64(n))
}

// FrameCount is how many frames of one type the clients received.
type FrameCount struct {
	Type   string `json:"type"`
	Frames int64  `json:"frames"`
	Bytes  int64  `json:"bytes"`
}

func (t *traffic) counts() []FrameCount {
	var out []FrameCount
	for _, k := range frameTypes {
		if n := t.kinds[k][0].Load(); n > 0 {
			out = append(out, FrameCount{Type: k, Frames: n, Bytes: t.kinds[k][1].Load()})
		}
	}
	return out
}

// subtract returns a − b, type by type.
func subtract(a, b []FrameCount) []FrameCount {
	var out []FrameCount
	for _, x := range a {
		for _, y := range b {
			if y.Type == x.Type {
				x.Frames -= y.Frames
				x.Bytes -= y.Bytes
			}
		}
		if x.Frames > 0 {
			out = append(out, x)
		}
	}
	return out
}

func nowNs() int64 { return time.Now().UnixNano() }

var sprintf = fmt.Sprintf
