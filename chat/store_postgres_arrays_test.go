package chat

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

func TestParseUUIDReadsEveryForm(t *testing.T) {
	for i := 0; i < 50; i++ {
		id := NewID()
		for _, s := range []string{id, strings.ToUpper(id)} {
			b, ok := parseUUID(s)
			if !ok || hex.EncodeToString(b[:]) != strings.ReplaceAll(id, "-", "") {
				t.Fatalf("parseUUID(%q) = %x, %v", s, b, ok)
			}
		}
	}
	for _, s := range []string{"", "nope", strings.Repeat("g", 36), "0123456789abcdef0123456789abcdef0123"} {
		if _, ok := parseUUID(s); ok {
			t.Errorf("parseUUID(%q) accepted", s)
		}
	}
}

func TestFoundConvDecodesBinaryRowsOnly(t *testing.T) {
	be := func(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }
	fields := func(format int16) []pgconn.FieldDescription {
		oids := []uint32{pgtype.Int8OID, pgtype.TextOID, pgtype.Int8OID, pgtype.Int8OID, pgtype.Int8OID, pgtype.BoolOID}
		fds := make([]pgconn.FieldDescription, len(oids))
		for i, oid := range oids {
			fds[i] = pgconn.FieldDescription{DataTypeOID: oid, Format: format}
		}
		return fds
	}
	row := [][]byte{be(3), []byte("active"), be(41), be(0), be(300), {1}}
	var f foundConv
	if !f.decode(fields(pgtype.BinaryFormatCode), row) {
		t.Fatal("binary row not decoded")
	}
	want := foundConv{at: 3, seen: convSeen{status: StatusActive, counselor: 41, lastSeq: 300}, applied: true}
	if f != want {
		t.Errorf("decoded %+v, want %+v", f, want)
	}
	if (&foundConv{}).decode(fields(pgtype.TextFormatCode), [][]byte{[]byte("3"), []byte("active"), []byte("41"), []byte("0"), []byte("300"), []byte("t")}) {
		t.Error("a text row was decoded as binary")
	}
	if (&foundConv{}).decode(fields(pgtype.BinaryFormatCode), [][]byte{be(3), []byte("active"), nil, be(0), be(300), {1}}) {
		t.Error("a NULL was decoded")
	}
}
