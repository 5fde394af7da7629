package chat

import (
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// The columns of a batch go to PostgreSQL as arrays (for unnest). pgx
// encodes a []string or [][]byte through an interface per element, which
// boxes every element on the heap: six text columns and the body made seven
// allocations per message stored, a third of the batch's. These types hand
// out pointers into the slice instead, which box for free.

// arrayDims is the Dimensions of a one-dimensional array of n elements
// (nil if the array is NULL), taken from a table shared read-only (pgx
// only reads it) rather than allocated for every array sent.
func arrayDims(null bool, n int) []pgtype.ArrayDimension {
	switch {
	case null:
		return nil
	case n < len(dimsTable):
		return dimsTable[n : n+1 : n+1]
	}
	return []pgtype.ArrayDimension{{Length: int32(n), LowerBound: 1}}
}

var dimsTable = func() (t [1025]pgtype.ArrayDimension) {
	for n := range t {
		t[n] = pgtype.ArrayDimension{Length: int32(n), LowerBound: 1}
	}
	return t
}()

// textArray is a []string sent as text[] (nil is NULL).
type textArray []string

func (a textArray) Dimensions() []pgtype.ArrayDimension {
	return arrayDims(a == nil, len(a))
}

func (a textArray) Index(i int) any { return (*textElement)(&a[i]) }
func (a textArray) IndexType() any  { return new(textElement) }

type textElement string

func (t *textElement) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: string(*t), Valid: true}, nil
}

// byteaArray is a [][]byte sent as bytea[] (nil is NULL, as is a nil element).
type byteaArray [][]byte

func (a byteaArray) Dimensions() []pgtype.ArrayDimension {
	return arrayDims(a == nil, len(a))
}

func (a byteaArray) Index(i int) any { return (*byteaElement)(&a[i]) }
func (a byteaArray) IndexType() any  { return new(byteaElement) }

type byteaElement []byte

func (b *byteaElement) BytesValue() ([]byte, error) { return *b, nil }

// uuidArray is a []string of UUIDs (as isUUID accepts them) sent as a
// binary uuid[]: 16 bytes an element, which PostgreSQL takes as they are,
// instead of 36 characters it parses into a uuid per element (nil is NULL).
type uuidArray []string

func (a uuidArray) Dimensions() []pgtype.ArrayDimension {
	return arrayDims(a == nil, len(a))
}

func (a uuidArray) Index(i int) any { return (*uuidElement)(&a[i]) }
func (a uuidArray) IndexType() any  { return new(uuidElement) }

type uuidElement string

func (u *uuidElement) UUIDValue() (pgtype.UUID, error) {
	b, ok := parseUUID(string(*u))
	if !ok {
		return pgtype.UUID{}, fmt.Errorf("not a uuid: %q", string(*u))
	}
	return pgtype.UUID{Bytes: b, Valid: true}, nil
}

// parseUUID decodes a UUID in the form isUUID accepts (hex groups of 8,
// 4, 4, 4 and 12 digits, either case), without allocating.
func parseUUID(s string) (b [16]byte, ok bool) {
	if !isUUID(s) {
		return b, false
	}
	var digits [32]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			digits[n] = s[i]
			n++
		}
	}
	_, err := hex.Decode(b[:], digits[:])
	return b, err == nil
}

// int8Array is a []int64 sent as bigint[]; pgx would box every element of
// a []int64 (an allocation for each above 255).
type int8Array []int64

func (a int8Array) Dimensions() []pgtype.ArrayDimension {
	return arrayDims(a == nil, len(a))
}

func (a int8Array) Index(i int) any { return (*int8Element)(&a[i]) }
func (a int8Array) IndexType() any  { return new(int8Element) }

type int8Element int64

func (n *int8Element) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: int64(*n), Valid: true}, nil
}

// statusScan scans a conversation's status without allocating a string
// for it: a status PostgreSQL returns is one of the few known ones.
type statusScan struct{ s *Status }

func (d statusScan) ScanBytes(src []byte) error {
	switch string(src) {
	case string(StatusWaiting):
		*d.s = StatusWaiting
	case string(StatusActive):
		*d.s = StatusActive
	case string(StatusEnded):
		*d.s = StatusEnded
	default:
		*d.s = Status(src)
	}
	return nil
}

// messageRows are the columns of the messages to insert, one slice each
// (for unnest).
type messageRows struct {
	conv                            uuidArray
	sender, kind, name, client, key textArray
	seq, senderID                   int8Array
	body                            byteaArray
}

func (r *messageRows) add(m Message, keyID string, sealed []byte) {
	r.conv, r.seq, r.sender, r.senderID = append(r.conv, m.ConversationID), append(r.seq, m.Seq), append(r.sender, string(m.Sender)), append(r.senderID, m.SenderID)
	r.kind, r.name, r.client, r.key, r.body = append(r.kind, m.Kind), append(r.name, m.Name), append(r.client, m.ClientID), append(r.key, keyID), append(r.body, sealed)
}

// clear empties r, keeping its slices' room, and lets go of the bodies and
// strings it held.
func (r *messageRows) clear() {
	clear(r.conv)
	clear(r.sender)
	clear(r.kind)
	clear(r.name)
	clear(r.client)
	clear(r.key)
	clear(r.body)
	r.conv, r.sender, r.kind, r.name, r.client, r.key = r.conv[:0], r.sender[:0], r.kind[:0], r.name[:0], r.client[:0], r.key[:0]
	r.seq, r.senderID, r.body = r.seq[:0], r.senderID[:0], r.body[:0]
}

// expectations are, per conversation written to, the last seq it must
// still have and the one it gets.
type expectations struct {
	conv          uuidArray
	before, after int8Array
}

// appendPlan is one statement's worth of a batch, and what AppendBatch
// needs around it. Plans are kept for reuse (appendPlans), each used by
// one call of AppendBatch at a time, so that a batch allocates none of
// its slices and maps once the pool has a plan its size.
type appendPlan struct {
	rows         messageRows
	expect       expectations
	states       map[string]*convState
	slab         []convState           // where states point, room for every conversation of the batch
	planned      map[string]bool       // conversations with rows in this plan
	again        map[string]bool       // conversations to do again from a fresh read
	inBatch      map[clientKey]int     // client ids numbered in this batch: where in the results
	existing     map[clientKey]Message // client ids already stored, as read
	found        []foundConv           // what the statement returned
	todo         []int                 // AppendBatch's requests still to do
	ids          []string              // scratch: the conversations written to, sorted
	dest         []any                 // scratch: a row's scan targets
	argv         []any                 // scratch: the statement's parameters
	stamp        time.Time             // the statement's $13
	params       [][]byte              // the parameters encoded (store_postgres_commit.go), into …
	paramBuf     []byte                // … these bytes, kept from batch to batch
	paramEnd     []int                 // scratch: where each parameter ends in paramBuf (-1: NULL)
	paramFormats []int16               // … and its format
	sealed       []byte                // the batch's sealed bodies, which rows.body points into
	scratch      []byte                // a body's associated data and plaintext while it is sealed
}

var appendPlans = sync.Pool{New: func() any {
	return &appendPlan{states: map[string]*convState{}, planned: map[string]bool{}, again: map[string]bool{},
		inBatch: map[clientKey]int{}, existing: map[clientKey]Message{}}
}}

// appendPlanKeep is the largest batch whose plan is kept for reuse: a
// plan keeps the room of the largest batch it was used for.
const appendPlanKeep = 512

func getAppendPlan(n int) *appendPlan {
	p := appendPlans.Get().(*appendPlan)
	if cap(p.todo) < n {
		p.todo = make([]int, 0, n)
	}
	return p
}

func putAppendPlan(p *appendPlan) {
	if cap(p.todo) > appendPlanKeep {
		return
	}
	if cap(p.paramBuf) > paramBufKeep {
		p.paramBuf = nil
	}
	if cap(p.sealed) > paramBufKeep {
		p.sealed = nil
	}
	p.reset(0)
	appendPlans.Put(p)
}

// reset empties p for an attempt at n requests.
func (p *appendPlan) reset(n int) {
	p.rows.clear()
	clear(p.expect.conv)
	p.expect.conv, p.expect.before, p.expect.after = p.expect.conv[:0], p.expect.before[:0], p.expect.after[:0]
	clear(p.states)
	clear(p.planned)
	clear(p.again)
	clear(p.inBatch)
	clear(p.existing)
	clear(p.ids)
	clear(p.slab)
	clear(p.argv)
	clear(p.params)
	clear(p.paramBuf) // sealed bodies, names and client ids: not kept past their batch
	clear(p.sealed)
	p.params, p.paramBuf, p.sealed = p.params[:0], p.paramBuf[:0], p.sealed[:0]
	p.found, p.ids, p.slab = p.found[:0], p.ids[:0], p.slab[:0]
	if cap(p.slab) < n {
		p.slab = make([]convState, 0, n)
	}
}

// newState returns st kept in p: in its slab while there is room (there is
// for every conversation of the batch), else on its own.
func (p *appendPlan) newState(st convState) *convState {
	if len(p.slab) == cap(p.slab) {
		c := new(convState)
		*c = st
		return c
	}
	p.slab = append(p.slab, st)
	return &p.slab[len(p.slab)-1]
}

// args are the append statement's parameters (appendSQL), as pointers,
// which pgx takes without copying them onto the heap.
func (p *appendPlan) args(now time.Time, origin *string) []any {
	r := &p.rows
	p.stamp = now
	p.argv = append(p.argv[:0], &r.conv, &r.seq, &r.sender, &r.senderID, &r.kind, &r.name, &r.client, &r.key, &r.body,
		&p.expect.conv, &p.expect.before, &p.expect.after, (*timestampArg)(&p.stamp), (*textElement)(origin))
	return p.argv
}

// timestampArg is a time sent as timestamptz.
type timestampArg time.Time

func (t *timestampArg) TimestamptzValue() (pgtype.Timestamptz, error) {
	return pgtype.Timestamptz{Time: time.Time(*t), Valid: true}, nil
}
