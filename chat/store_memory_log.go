package chat

import (
	"encoding/binary"
	"hash/maphash"
	"time"
)

// msgLog is one conversation's messages as the memory store keeps them:
// compact and free of pointers, so that the garbage collector, which marks
// every pointer of the live heap on every cycle, has three objects per
// conversation to look at (none of them holding a pointer it must follow)
// instead of several strings per message and an index entry per client id.
//
//   - recs holds one fixed-size record per message, recs[i] for seq i+1:
//     the numbers, and where the message's strings start in arena.
//   - arena holds every message's strings one after another, each as a
//     uvarint length and its bytes: the client id, the name, the body, then
//     the kind and the sender when they are not one of the known ones
//     (kindOther, senderOther). A message's strings end where the next
//     message's start (or at the end of arena).
//   - ids finds a message by client id, for the store's duplicate rule: a
//     hash table (open addressing, linear probing) of the seqs of the
//     messages that have a client id, placed by the hash of (sender, client
//     id), which their record keeps (tag). A slot whose tag matches is
//     compared in full, so a collision costs a comparison and never merges
//     two messages. The conversation is implied: each has its own table.
//
// Messages read back are made from arena with one string per read (their
// strings are substrings of it): nothing handed out points into arena, so
// it can grow, be reallocated or be dropped at any time.
type msgLog struct {
	recs  []msgRec
	arena []byte
	ids   []int32 // 0: empty; len is 0 or a power of two, at most 3/4 used
	nIDs  int     // seqs in ids
}

// msgRec is one message's fixed part: 40 bytes, no pointers.
type msgRec struct {
	sec      int64 // SentAt in Unix seconds (with nsec: any time.Time in UTC)
	senderID int64
	start    int64 // offset in arena of its strings
	nsec     int32
	tag      uint32 // idHash of its sender and client id, if it has one
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

// add stores m, whose Seq is len(recs)+1.
func (l *msgLog) add(m Message) { l.addHashed(m, idHash(m.Sender, m.ClientID)) }

// find returns the seq of the message sender stored with clientID, or 0.
func (l *msgLog) find(sender Sender, clientID string) int64 {
	return l.findHashed(sender, clientID, idHash(sender, clientID))
}

// addHashed is add with the idHash of m's sender and client id given.
func (l *msgLog) addHashed(m Message, h uint32) {
	r := msgRec{sec: m.SentAt.Unix(), nsec: int32(m.SentAt.Nanosecond()), senderID: m.SenderID,
		start: int64(len(l.arena)), sender: senderCode(m.Sender), kind: kindCode(m.Kind)}
	l.arena = appendString(l.arena, m.ClientID)
	l.arena = appendString(l.arena, m.Name)
	l.arena = appendString(l.arena, m.Body)
	if r.kind == kindOther {
		l.arena = appendString(l.arena, m.Kind)
	}
	if r.sender == senderOther {
		l.arena = appendString(l.arena, string(m.Sender))
	}
	if m.ClientID != "" {
		r.tag = h
	}
	l.recs = append(l.recs, r)
	if m.ClientID != "" {
		l.index(int32(m.Seq)) // a conversation of 2³¹ messages would need 80 GiB of records first
	}
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
	i := l.recs[seq-1].tag & mask
	for l.ids[i] != 0 {
		i = (i + 1) & mask
	}
	l.ids[i] = seq
	l.nIDs++
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// findHashed is find with the idHash of sender and clientID given.
func (l *msgLog) findHashed(sender Sender, clientID string, h uint32) int64 {
	if len(l.ids) == 0 {
		return 0
	}
	mask := uint32(len(l.ids) - 1)
	for i := h & mask; l.ids[i] != 0; i = (i + 1) & mask {
		if seq := l.ids[i]; l.recs[seq-1].tag == h && l.wrote(int(seq-1), sender, clientID) {
			return int64(seq)
		}
	}
	return 0
}

// wrote reports whether message i is sender's with clientID, comparing
// in place in arena.
func (l *msgLog) wrote(i int, sender Sender, clientID string) bool {
	r := &l.recs[i]
	id, b := nextString(l.arena[r.start:l.end(i)])
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

// end is where message i's strings end in arena.
func (l *msgLog) end(i int) int64 {
	if i+1 < len(l.recs) {
		return l.recs[i+1].start
	}
	return int64(len(l.arena))
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
	base := l.recs[from].start
	strs := string(l.arena[base:l.end(to-1)])
	out := make([]Message, to-from)
	for i := range out {
		r := &l.recs[from+i]
		m := &out[i]
		*m = Message{ConversationID: id, Seq: int64(from + i + 1), Sender: senderCodes[r.sender], SenderID: r.senderID,
			Kind: kindCodes[r.kind], SentAt: time.Unix(r.sec, int64(r.nsec)).UTC()}
		s := strs[r.start-base:]
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
	for i := range l.recs {
		if r := &l.recs[i]; r.kind == kind {
			return time.Unix(r.sec, int64(r.nsec)).UTC()
		}
	}
	return time.Time{}
}

// lastWrites returns when the seeker and when a counsellor last wrote
// (zero: not yet), looking back from the newest message only as far as it
// must.
func (l *msgLog) lastWrites() (seekerAt, counselorAt time.Time) {
	for i := len(l.recs) - 1; i >= 0 && (seekerAt.IsZero() || counselorAt.IsZero()); i-- {
		r := &l.recs[i]
		if r.sender == senderSeeker && seekerAt.IsZero() {
			seekerAt = time.Unix(r.sec, int64(r.nsec)).UTC()
		} else if r.sender == senderCounselor && counselorAt.IsZero() {
			counselorAt = time.Unix(r.sec, int64(r.nsec)).UTC()
		}
	}
	return seekerAt, counselorAt
}

// len is the number of messages.
func (l *msgLog) len() int { return len(l.recs) }

// compact drops the spare capacity of a conversation that takes no more
// messages (it has ended), which append growth leaves in both slices.
func (l *msgLog) compact() {
	l.recs = append([]msgRec(nil), l.recs...)
	l.arena = append([]byte(nil), l.arena...)
}
