package chat

import (
	"encoding/binary"
	"hash/maphash"
	"strings"
	"time"
)

// msgLog is one conversation's messages as the memory store keeps them:
// compact and nearly free of pointers, so that the garbage collector, which
// marks every pointer of the live heap on every cycle, has a few objects
// per conversation to look at (their contents holding no pointer it must
// follow) instead of several strings per message and an index entry per
// client id.
//
//   - recs holds one fixed-size record per message, in blocks of recBlock
//     (the first one grows to that size, the others are made at it):
//     the numbers, and where the message's strings are in arena.
//   - arena holds every message's strings one after another, each as a
//     uvarint length and its bytes: the client id, the name, the body, then
//     the kind and the sender when they are not one of the known ones
//     (kindOther, senderOther). It is a list of chunks of about arenaChunk
//     bytes, and a message's strings are all in one chunk. Chunks, not one
//     slice grown by doubling: a doubling slice allocates about twice what
//     it keeps, copying all of it each time, and on the store's one worker
//     that was the largest allocation of the message path (~420 bytes a
//     message at 1,000 pairs, BENCHMARKS.md), the garbage that sets how
//     often the collector marks.
//   - ids finds a message by client id, for the store's duplicate rule: a
//     hash table (open addressing, linear probing) of the seqs of the
//     messages that have a client id, placed by the hash of (sender, client
//     id), which their record keeps (tag). A slot whose tag matches is
//     compared in full, so a collision costs a comparison and never merges
//     two messages. The conversation is implied: each has its own table.
//
// Messages read back are made from arena with one string per read (their
// strings are substrings of it): nothing handed out points into arena, so
// chunks can grow, be reallocated or be dropped at any time.
type msgLog struct {
	recs  [][]msgRec // recs[i/recBlock][i%recBlock] is seq i+1; every block but the last is full
	arena [][]byte
	ids   []int32 // 0: empty; len is 0 or a power of two, at most 3/4 used
	nIDs  int     // seqs in ids
}

const (
	// recBlock records (40 bytes each) make a block of 1,280 bytes, one of
	// the allocator's size classes.
	recBlock = 32
	// arenaChunk bytes hold about eight 200-byte messages; a message larger
	// than that gets a chunk of its own size.
	arenaChunk = 2048
)

// msgRec is one message's fixed part: 40 bytes, no pointers.
type msgRec struct {
	sec      int64 // SentAt in Unix seconds (with nsec: any time.Time in UTC)
	senderID int64
	nsec     int32
	tag      uint32 // idHash of its sender and client id, if it has one
	chunk    uint32 // its strings' chunk in arena
	start    uint32 // where they start in it
	size     uint32 // and their length
	sender   uint8  // a senderCodes index; senderOther: the sender is in arena
	kind     uint8  // a kindCodes index; kindOther: the kind is in arena
}

// Codes of the senders and kinds chat writes, kept in a byte of the
// record; anything else (a feature's kind) is stored as a string.
const (
	senderOther uint8 = iota
	senderSeeker
	senderCounselor
	senderSystem
)

const (
	kindOther uint8 = iota
	kindText
	kindJoined
	kindEnded
	kindRequeued
	kindTransferred
	kindStaffJoined
	kindStaffLeft
)

var (
	senderCodes = [...]Sender{senderSeeker: SenderSeeker, senderCounselor: SenderCounselor, senderSystem: SenderSystem}
	kindCodes   = [...]string{kindText: KindText, kindJoined: KindJoined, kindEnded: KindEnded, kindRequeued: KindRequeued,
		kindTransferred: KindTransferred, kindStaffJoined: KindStaffJoined, kindStaffLeft: KindStaffLeft}
)

func senderCode(s Sender) uint8 {
	for i := 1; i < len(senderCodes); i++ {
		if senderCodes[i] == s {
			return uint8(i)
		}
	}
	return senderOther
}

func kindCode(k string) uint8 {
	for i := 1; i < len(kindCodes); i++ {
		if kindCodes[i] == k {
			return uint8(i)
		}
	}
	return kindOther
}

// idSeed keys the client id hashes; it differs from process to process,
// so nobody can aim collisions at it (a collision costs time, not
// correctness).
var idSeed = maphash.MakeSeed()

func idHash(sender Sender, clientID string) uint32 {
	var h maphash.Hash
	h.SetSeed(idSeed)
	h.WriteString(string(sender))
	h.WriteByte(0)
	h.WriteString(clientID)
	return uint32(h.Sum64())
}

// add stores m, whose Seq is len()+1.
func (l *msgLog) add(m Message) { l.addHashed(m, idHash(m.Sender, m.ClientID)) }

// find returns the seq of the message sender stored with clientID, or 0.
func (l *msgLog) find(sender Sender, clientID string) int64 {
	return l.findHashed(sender, clientID, idHash(sender, clientID))
}

// addHashed is add with the idHash of m's sender and client id given.
func (l *msgLog) addHashed(m Message, h uint32) {
	r := msgRec{sec: m.SentAt.Unix(), nsec: int32(m.SentAt.Nanosecond()), senderID: m.SenderID,
		sender: senderCode(m.Sender), kind: kindCode(m.Kind)}
	size := stringSize(m.ClientID) + stringSize(m.Name) + stringSize(m.Body)
	if r.kind == kindOther {
		size += stringSize(m.Kind)
	}
	if r.sender == senderOther {
		size += stringSize(string(m.Sender))
	}
	chunk := l.chunkFor(size)
	b := l.arena[chunk]
	r.chunk, r.start, r.size = uint32(chunk), uint32(len(b)), uint32(size)
	b = appendString(b, m.ClientID)
	b = appendString(b, m.Name)
	b = appendString(b, m.Body)
	if r.kind == kindOther {
		b = appendString(b, m.Kind)
	}
	if r.sender == senderOther {
		b = appendString(b, string(m.Sender))
	}
	l.arena[chunk] = b
	if m.ClientID != "" {
		r.tag = h
	}
	l.addRec(r)
	if m.ClientID != "" {
		l.index(int32(m.Seq)) // a conversation of 2³¹ messages would need 80 GiB of records first
	}
}

// chunkFor returns the chunk of arena a message's size bytes of strings go
// in: the last one while it has room for them or is still growing towards
// arenaChunk (by append), else a new one. The first chunk starts small, as
// the first block of records does: most conversations are short, and a
// conversation that has just begun holds only its first message or two.
func (l *msgLog) chunkFor(size int) int {
	k := len(l.arena)
	if k > 0 {
		if c := l.arena[k-1]; len(c)+size <= cap(c) || cap(c) < arenaChunk {
			return k - 1
		}
	}
	capacity := size // the first chunk grows by append from its first message
	if k > 0 {
		capacity = max(arenaChunk, size)
	}
	l.arena = append(l.arena, make([]byte, 0, capacity))
	return len(l.arena) - 1
}

// addRec appends a message's record: to the last block while it has room
// (the first block grows to recBlock by doubling), else to a new block.
func (l *msgLog) addRec(r msgRec) {
	k := len(l.recs)
	if k == 0 || len(l.recs[k-1]) == recBlock {
		size := recBlock
		if k == 0 {
			size = 4 // most conversations are short: the first block starts small
		}
		l.recs = append(l.recs, make([]msgRec, 0, size))
		k++
	}
	b := l.recs[k-1]
	if len(b) == cap(b) { // the first block, still growing
		b = append(make([]msgRec, 0, min(2*cap(b), recBlock)), b...)
	}
	l.recs[k-1] = append(b, r)
}

// rec is message i's record (seq i+1).
func (l *msgLog) rec(i int) *msgRec { return &l.recs[i/recBlock][i%recBlock] }

// stringsOf is the strings of the message whose record is r, in arena.
func (l *msgLog) stringsOf(r *msgRec) []byte {
	return l.arena[r.chunk][r.start : r.start+r.size]
}

// index puts seq, whose record is stored, in ids, which grows (twice as
// large, placed again by the records' tags) to stay at most 3/4 full, so
// that a probe always ends at an empty slot.
func (l *msgLog) index(seq int32) {
	if 4*(l.nIDs+1) > 3*len(l.ids) {
		old := l.ids
		l.ids, l.nIDs = make([]int32, max(8, 2*len(old))), 0
		for _, s := range old {
			if s != 0 {
				l.index(s)
			}
		}
	}
	mask := uint32(len(l.ids) - 1)
	i := l.rec(int(seq-1)).tag & mask
	for l.ids[i] != 0 {
		i = (i + 1) & mask
	}
	l.ids[i] = seq
	l.nIDs++
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// stringSize is how many bytes appendString adds for s.
func stringSize(s string) int {
	n := len(s)
	k := 1
	for v := uint64(n); v >= 0x80; v >>= 7 {
		k++
	}
	return k + n
}

// findHashed is find with the idHash of sender and clientID given.
func (l *msgLog) findHashed(sender Sender, clientID string, h uint32) int64 {
	if len(l.ids) == 0 {
		return 0
	}
	mask := uint32(len(l.ids) - 1)
	for i := h & mask; l.ids[i] != 0; i = (i + 1) & mask {
		if seq := l.ids[i]; l.rec(int(seq-1)).tag == h && l.wrote(int(seq-1), sender, clientID) {
			return int64(seq)
		}
	}
	return 0
}

// wrote reports whether message i is sender's with clientID, comparing
// in place in arena.
func (l *msgLog) wrote(i int, sender Sender, clientID string) bool {
	r := l.rec(i)
	id, b := nextString(l.stringsOf(r))
	if string(id) != clientID {
		return false
	}
	if r.sender != senderOther {
		return senderCodes[r.sender] == sender
	}
	_, b = nextString(b) // name
	_, b = nextString(b) // body
	if r.kind == kindOther {
		_, b = nextString(b)
	}
	s, _ := nextString(b)
	return string(s) == string(sender)
}

// nextString splits the string at the front of b off the rest.
func nextString(b []byte) (s, rest []byte) {
	n, k := binary.Uvarint(b)
	return b[k : k+int(n)], b[k+int(n):]
}

// messages returns messages from..to-1 (indices: seq from+1..to) of the
// conversation id. Their strings share one allocation.
func (l *msgLog) messages(id string, from, to int) []Message {
	if from >= to {
		return nil
	}
	size := 0
	for i := from; i < to; i++ {
		size += int(l.rec(i).size)
	}
	var all strings.Builder
	all.Grow(size)
	for i := from; i < to; i++ {
		all.Write(l.stringsOf(l.rec(i)))
	}
	strs := all.String()
	out := make([]Message, to-from)
	for i := range out {
		r := l.rec(from + i)
		m := &out[i]
		*m = Message{ConversationID: id, Seq: int64(from + i + 1), Sender: senderCodes[r.sender], SenderID: r.senderID,
			Kind: kindCodes[r.kind], SentAt: time.Unix(r.sec, int64(r.nsec)).UTC()}
		s := strs[:r.size]
		strs = strs[r.size:]
		m.ClientID, s = cutString(s)
		m.Name, s = cutString(s)
		m.Body, s = cutString(s)
		if r.kind == kindOther {
			m.Kind, s = cutString(s)
		}
		if r.sender == senderOther {
			var sender string
			sender, _ = cutString(s)
			m.Sender = Sender(sender)
		}
	}
	return out
}

// cutString is nextString on a string: the front string and the rest.
func cutString(s string) (string, string) {
	var n uint64
	k := 0
	for shift := 0; ; shift += 7 {
		c := s[k]
		k++
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	return s[k : k+int(n)], s[k+int(n):]
}

// firstSentAt returns when the first message of a known kind (kindCodes)
// was sent, or zero.
func (l *msgLog) firstSentAt(kind uint8) time.Time {
	for _, block := range l.recs {
		for i := range block {
			if r := &block[i]; r.kind == kind {
				return time.Unix(r.sec, int64(r.nsec)).UTC()
			}
		}
	}
	return time.Time{}
}

// lastWrites returns when the seeker and when a counsellor last wrote
// (zero: not yet), looking back from the newest message only as far as it
// must.
func (l *msgLog) lastWrites() (seekerAt, counselorAt time.Time) {
	for i := l.len() - 1; i >= 0 && (seekerAt.IsZero() || counselorAt.IsZero()); i-- {
		r := l.rec(i)
		if r.sender == senderSeeker && seekerAt.IsZero() {
			seekerAt = time.Unix(r.sec, int64(r.nsec)).UTC()
		} else if r.sender == senderCounselor && counselorAt.IsZero() {
			counselorAt = time.Unix(r.sec, int64(r.nsec)).UTC()
		}
	}
	return seekerAt, counselorAt
}

// len is the number of messages.
func (l *msgLog) len() int {
	k := len(l.recs)
	if k == 0 {
		return 0
	}
	return (k-1)*recBlock + len(l.recs[k-1])
}

// compact drops the spare capacity of a conversation that takes no more
// messages (it has ended): what is left in its last block and chunk.
func (l *msgLog) compact() {
	if k := len(l.recs); k > 0 {
		l.recs[k-1] = append([]msgRec(nil), l.recs[k-1]...)
	}
	if k := len(l.arena); k > 0 {
		l.arena[k-1] = append([]byte(nil), l.arena[k-1]...)
	}
}
