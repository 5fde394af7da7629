package chat

import "github.com/coder/websocket"

// Close codes (PROTOCOL.md §3.7): 4000–4099 mean "reconnect", 4400–4499
// mean "do not reconnect with this credential".
const (
	StatusGoingAway   = websocket.StatusGoingAway // 1001: restarting; reconnect
	StatusReconnect   = websocket.StatusCode(4000)
	StatusSlow        = websocket.StatusCode(4001)
	StatusAuthTimeout = websocket.StatusCode(4002)
	StatusFlood       = websocket.StatusCode(4029)
	StatusBadToken    = websocket.StatusCode(4401)
	StatusRevoked     = websocket.StatusCode(4403)
)
