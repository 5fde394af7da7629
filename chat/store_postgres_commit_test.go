package chat

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

func TestSealAppendSealsManyValuesIntoOneBuffer(t *testing.T) {
	sl, err := ParseKeys(NewKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte("prefix")
	bodies := []string{"first", "", "a third, longer than the others"}
	var sealed [][]byte
	for i, body := range bodies {
		start := len(buf)
		var keyID string
		keyID, buf = sl.SealAppend(buf, []byte(body), messageAAD("c", int64(i+1)))
		if keyID != "k1" || len(buf)-start != sl.SealedLen(len(body)) {
			t.Fatalf("body %d: key %q, %d bytes sealed, SealedLen says %d", i, keyID, len(buf)-start, sl.SealedLen(len(body)))
		}
		sealed = append(sealed, buf[start:])
	}
	if !bytes.HasPrefix(buf, []byte("prefix")) {
		t.Errorf("SealAppend overwrote what dst held: %q", buf[:6])
	}
	for i, body := range bodies {
		got, err := sl.Open("k1", sealed[i][:sl.SealedLen(len(body))], messageAAD("c", int64(i+1)))
		if err != nil || string(got) != body {
			t.Errorf("body %d opened as %q, %v; want %q", i, got, err, body)
		}
	}
	if _, err := sl.Open("k1", sealed[0][:sl.SealedLen(len(bodies[0]))], messageAAD("c", 2)); err == nil {
		t.Error("a body opened under another message's associated data")
	}
}

func TestAppendPlanSealsIntoItsOwnRoomAndWipesThePlaintext(t *testing.T) {
	sl, err := ParseKeys(NewKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	batch := []Append{{ConversationID: NewID(), Body: "I am worried about my thoughts"}, {ConversationID: NewID(), Body: "and so is my brother"}}
	p := &appendPlan{}
	p.roomToSeal(sl, batch, []int{0, 1})
	room := cap(p.sealed)
	var sealed [][]byte
	for i, a := range batch {
		_, b := p.seal(sl, Message{ConversationID: a.ConversationID, Seq: int64(i + 1), Body: a.Body})
		sealed = append(sealed, b)
	}
	if cap(p.sealed) != room || &p.sealed[:1][0] != &sealed[0][:1][0] {
		t.Errorf("sealing moved the plan's room (%d → %d bytes): the rows would point into an array left behind", room, cap(p.sealed))
	}
	for i, a := range batch {
		got, err := sl.Open("k1", sealed[i], messageAAD(a.ConversationID, int64(i+1)))
		if err != nil || string(got) != a.Body {
			t.Errorf("body %d opened as %q, %v", i, got, err)
		}
	}
	if bytes.Contains(p.scratch[:cap(p.scratch)], []byte("brother")) || bytes.Contains(p.scratch[:cap(p.scratch)], []byte("worried")) {
		t.Error("the plan keeps a body's plaintext after sealing it")
	}
}

// The append statement's parameters, encoded into the plan's own buffer,
// must be byte for byte what pgx's own query path sends for them.
func TestPostgresAppendParametersAreWhatPgxWouldSend(t *testing.T) {
	_, s := newPoolTestStore(t)
	defer s.Close()
	ctx := context.Background()
	conn, err := s.appends.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	sd, err := conn.Conn().Prepare(ctx, appendStatementName, appendSQL)
	if err != nil {
		t.Fatal(err)
	}
	p := &appendPlan{}
	origin := "instance-a"
	now := time.Date(2026, 12, 3, 18, 30, 0, 123456000, time.UTC)
	for round, n := range []int{3, 3, 1} {
		p.reset(n)
		var conv []string
		for i := range n {
			id := NewID()
			conv = append(conv, id)
			m := Message{ConversationID: id, Seq: int64(i + 7), Sender: SenderSeeker, Kind: KindText, Body: "body", ClientID: "client-" + id[:8]}
			if i == 1 {
				m.Sender, m.SenderID, m.Name, m.ClientID = SenderCounselor, 42, "Ana", ""
			}
			keyID, sealed := p.seal(s.seal, m)
			p.rows.add(m, keyID, sealed)
		}
		slices.Sort(conv)
		for _, id := range conv {
			p.expect.conv, p.expect.before, p.expect.after = append(p.expect.conv, id), append(p.expect.before, 6), append(p.expect.after, 7)
		}
		if round == 2 {
			p.expect.conv = nil // a NULL parameter, with parameters after it
		}
		bufBefore := p.paramBuf[:cap(p.paramBuf)]
		if err := p.encodeArgs(conn.Conn().TypeMap(), sd, p.args(now, &origin)); err != nil {
			t.Fatal(err)
		}
		var eqb pgx.ExtendedQueryBuilder
		if err := eqb.Build(conn.Conn().TypeMap(), sd, p.args(now, &origin)); err != nil {
			t.Fatal(err)
		}
		if len(eqb.ParamValues) != len(p.params) {
			t.Fatalf("round %d: %d parameters, pgx makes %d", round, len(p.params), len(eqb.ParamValues))
		}
		for i := range p.params {
			if eqb.ParamFormats[i] != p.paramFormats[i] || !bytes.Equal(eqb.ParamValues[i], p.params[i]) || (eqb.ParamValues[i] == nil) != (p.params[i] == nil) {
				t.Errorf("round %d, $%d: format %d, %x; pgx sends format %d, %x", round, i+1, p.paramFormats[i], p.params[i], eqb.ParamFormats[i], eqb.ParamValues[i])
			}
		}
		if round == 2 && p.params[9] != nil {
			t.Errorf("round %d: a NULL array sent as %x", round, p.params[9])
		}
		if round == 1 && (len(bufBefore) == 0 || &bufBefore[0] != &p.paramBuf[:1][0]) {
			t.Errorf("round %d: a batch as large as the one before encoded into new memory", round)
		}
	}
	p.reset(0)
	if bytes.Contains(p.paramBuf[:cap(p.paramBuf)], []byte("client-")) || bytes.Contains(p.paramBuf[:cap(p.paramBuf)], []byte("Ana")) {
		t.Error("a reset plan still holds the last batch's client ids and names")
	}
}

// A connection whose append statement is gone from the server (a
// DEALLOCATE, a pooler's reset) must not fail every batch sent on it from
// then on: the statement is prepared again and the batch stored.
func TestPostgresAppendSurvivesItsStatementDeallocated(t *testing.T) {
	_, s := newPoolTestStore(t)
	defer s.Close()
	ctx := context.Background()
	c, err := s.CreateConversation(ctx, NewConversation{Audience: AudienceSelf, Language: "es", Region: "Madrid"})
	if err != nil {
		t.Fatal(err)
	}
	send := func(clientID string) AppendResult {
		t.Helper()
		return s.AppendBatch(ctx, []Append{{ConversationID: c.ID, Sender: SenderSeeker, Kind: KindText, Body: "hola " + clientID, ClientID: clientID}})[0]
	}
	if r := send("m1"); r.Err != nil {
		t.Fatal(r.Err)
	}
	conns := s.appends.AcquireAllIdle(ctx)
	if len(conns) == 0 {
		t.Fatal("no idle append connection to take the statement from")
	}
	for _, conn := range conns {
		// Simple protocol: the server forgets the statement, pgx's
		// description of it stays.
		if _, err := conn.Exec(ctx, "DEALLOCATE ALL"); err != nil {
			t.Fatal(err)
		}
		conn.Release()
	}
	for i, id := range []string{"m2", "m3"} {
		if r := send(id); r.Err != nil || r.Message.Seq != int64(i+2) {
			t.Fatalf("append %s after the statement was deallocated = %+v", id, r)
		}
	}
	msgs, err := s.Messages(ctx, c.ID, 0, 0)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("Messages = %d, %v; want the 3 sent, each once", len(msgs), err)
	}
}

// A row of the append statement that decode does not take (text, say)
// is read column by column instead, and checked the same way.
func TestAppendPlanReadsARowDecodeDoesNotTake(t *testing.T) {
	fields := make([]pgconn.FieldDescription, 6)
	for i, oid := range []uint32{pgtype.Int8OID, pgtype.TextOID, pgtype.Int8OID, pgtype.Int8OID, pgtype.Int8OID, pgtype.BoolOID} {
		fields[i] = pgconn.FieldDescription{Name: fmt.Sprint("c", i), DataTypeOID: oid, Format: pgtype.TextFormatCode}
	}
	row := func(at string) [][]byte {
		return [][]byte{[]byte(at), []byte("active"), []byte("41"), []byte("0"), []byte("300"), []byte("t")}
	}
	p := &appendPlan{expect: expectations{conv: uuidArray{NewID(), NewID(), NewID()}}}
	var f foundConv
	if err := p.readFound(pgtype.NewMap(), &f, fields, row("3")); err != nil {
		t.Fatal(err)
	}
	if want := (foundConv{at: 3, seen: convSeen{status: StatusActive, counselor: 41, lastSeq: 300}, applied: true}); f != want {
		t.Errorf("read %+v, want %+v", f, want)
	}
	if err := p.readFound(pgtype.NewMap(), &foundConv{}, fields, row("4")); err == nil {
		t.Error("a row for a fourth conversation of three was taken")
	}
	if err := p.readFound(pgtype.NewMap(), &foundConv{}, fields[:5], row("1")[:5]); err == nil {
		t.Error("a row of five columns was taken")
	}
}
