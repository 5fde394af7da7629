package relay

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// queueLen is how many messages a slow member may have waiting.
const queueLen = 256

// Relay is an http.Handler serving the protocol above.
type Relay struct {
	// Copies, when set, says how many times to write data to one member
	// (sender: the member that sent it); nil writes each once. It lets the
	// generator's tests lose or repeat a message on purpose.
	Copies func(data []byte, sender bool) int

	mu    sync.Mutex
	rooms map[string]map[*member]struct{}
}

type member struct {
	ws  *websocket.Conn
	out chan []byte
}

// New returns an empty relay.
func New() *Relay { return &Relay{rooms: map[string]map[*member]struct{}{}} }

func (rl *Relay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		w.Write([]byte("ok"))
	case "/ws":
		rl.serveWS(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (rl *Relay) serveWS(w http.ResponseWriter, r *http.Request) {
	room := r.URL.Query().Get("room")
	if room == "" {
		http.Error(w, "want /ws?room=NAME", http.StatusBadRequest)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	m := &member{ws: ws, out: make(chan []byte, queueLen)}
	rl.join(room, m)
	defer rl.leave(room, m)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go m.write(ctx)
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			ws.CloseNow()
			return
		}
		rl.broadcast(room, m, data)
	}
}

func (rl *Relay) join(room string, m *member) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.rooms[room] == nil {
		rl.rooms[room] = map[*member]struct{}{}
	}
	rl.rooms[room][m] = struct{}{}
}

func (rl *Relay) leave(room string, m *member) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	delete(rl.rooms[room], m)
	if len(rl.rooms[room]) == 0 {
		delete(rl.rooms, room)
	}
}

// broadcast queues data for every member of room, under the lock so that
// every member sees the room's messages in the same order.
func (rl *Relay) broadcast(room string, from *member, data []byte) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	for m := range rl.rooms[room] {
		n := 1
		if rl.Copies != nil {
			n = rl.Copies(data, m == from)
		}
		for range n {
			select {
			case m.out <- data:
			default:
				go m.ws.Close(websocket.StatusPolicyViolation, "too slow")
			}
		}
	}
}

// write is the member's writer: the only goroutine writing to its socket.
func (m *member) write(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case data := <-m.out:
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := m.ws.Write(wctx, websocket.MessageText, data)
			cancel()
			if err != nil {
				m.ws.CloseNow()
				return
			}
		}
	}
}
