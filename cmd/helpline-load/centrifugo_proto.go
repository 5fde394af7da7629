package main

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The part of Centrifugo's client protocol (v2, JSON format, WebSocket at
// /connection/websocket) that the pairs workload speaks. Commands and
// replies are JSON objects, one per line: a WebSocket frame may carry
// several, separated by "\n", both ways. A command has an id, which its
// reply repeats; pushes have none. An empty object is the server's ping,
// and an empty object back is the client's pong (the server closes a
// connection that does not answer). With client.insecure every connection
// is anonymous and may subscribe and publish to any channel.
//
//	→ {"id":1,"connect":{}}
//	  {"id":2,"subscribe":{"channel":"p7"}}                    (the same frame)
//	← {"id":1,"connect":{"client":"…","version":"6.9.1","ping":25,"pong":true}}
//	← {"id":2,"subscribe":{}}
//	→ {"id":3,"publish":{"channel":"p7","data":"L1 7-0-0 …"}}
//	← {"push":{"channel":"p7","pub":{"data":"L1 7-0-0 …","info":{…}}}}  to every subscriber, the sender too
//	← {"id":3,"publish":{}}
//	← {}  → {}
//	← {"id":3,"error":{"code":103,"message":"permission denied"}}
//
// The data of a publication is any JSON value; the generator sends its
// message body as a JSON string, so the same bytes travel as on the relay.

// cfPath is where Centrifugo serves its bidirectional WebSocket.
const cfPath = "/connection/websocket"

// Command ids: message n of a side is published with id cfPublishID+n, so
// that its reply names the message without any table of pending commands.
const (
	cfConnectID   = 1
	cfSubscribeID = 2
	cfPublishID   = 3
)

// cfPong answers the server's ping.
var cfPong = []byte("{}")

// cfHello connects anonymously and subscribes to channel, in one frame.
func cfHello(channel string) []byte {
	b := []byte(`{"id":` + strconv.Itoa(cfConnectID) + `,"connect":{}}` + "\n" + `{"id":` + strconv.Itoa(cfSubscribeID) + `,"subscribe":{"channel":`)
	b = appendJSONString(b, channel)
	return append(b, "}}"...)
}

// cfPublish publishes message n of a side, body, to channel.
func cfPublish(channel string, n int, body string) []byte {
	b := make([]byte, 0, len(body)+64)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(cfPublishID+n), 10)
	b = append(b, `,"publish":{"channel":`...)
	b = appendJSONString(b, channel)
	b = append(b, `,"data":`...)
	b = appendJSONString(b, body)
	return append(b, "}}"...)
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}

// cfKind is what one line from the server is.
type cfKind int

const (
	cfBad       cfKind = iota // not a frame of this protocol
	cfPing                    // {}
	cfReply                   // a command's successful reply
	cfError                   // a command's error reply
	cfPub                     // a publication pushed on a channel
	cfOtherPush               // any other push (disconnect, join, unsubscribe…)
)

// cfMsg is one line from the server, decoded.
type cfMsg struct {
	kind    cfKind
	id      uint32 // cfReply, cfError
	channel string // cfPub
	data    string // cfPub: the publication's data, a JSON string unquoted
	what    string // cfError, cfOtherPush, cfBad: for the report
	size    int    // bytes of the line
}

type cfLine struct {
	ID    uint32 `json:"id"`
	Error *struct {
		Code    uint32 `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Push *struct {
		Channel string `json:"channel"`
		Pub     *struct {
			Data json.RawMessage `json:"data"`
		} `json:"pub"`
	} `json:"push"`
}

// cfDecode calls each for every line of a frame from the server.
func cfDecode(frame []byte, each func(cfMsg)) {
	for len(frame) > 0 {
		line, rest, _ := bytes.Cut(frame, []byte{'\n'})
		frame = rest
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		each(cfDecodeLine(line))
	}
}

func cfDecodeLine(line []byte) cfMsg {
	m := cfMsg{size: len(line)}
	if bytes.Equal(bytes.TrimSpace(line), cfPong) {
		m.kind = cfPing
		return m
	}
	var l cfLine
	if err := json.Unmarshal(line, &l); err != nil {
		m.what = err.Error()
		return m
	}
	switch {
	case l.Error != nil:
		m.kind, m.id, m.what = cfError, l.ID, strconv.Itoa(int(l.Error.Code))+" "+l.Error.Message
	case l.ID != 0:
		m.kind, m.id = cfReply, l.ID
	case l.Push != nil && l.Push.Pub != nil:
		m.kind, m.channel = cfPub, l.Push.Channel
		if err := json.Unmarshal(l.Push.Pub.Data, &m.data); err != nil {
			m.kind, m.channel, m.what = cfBad, "", "publication data is not a JSON string: "+err.Error()
		}
	case l.Push != nil:
		m.kind, m.what = cfOtherPush, string(line)
	default:
		m.what = "neither a reply nor a push: " + string(line)
	}
	return m
}
