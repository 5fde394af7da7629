package chat

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"helpline/chat/wire"
)

// TestServerFramesAndTheClientsViewAgree: the server encodes its frames
// with serverFrame (pointers and omitempty, so that a zero it means is sent
// and a field a frame lacks is not), clients read them with wire.Frame.
// Every field the server can send is one the client view reads, under the
// same name, and the other way round, so the two cannot drift apart.
func TestServerFramesAndTheClientsViewAgree(t *testing.T) {
	server := jsonNames(reflect.TypeOf(serverFrame{}))
	client := jsonNames(reflect.TypeOf(wire.Frame{}))
	for name := range server {
		if _, ok := client[name]; !ok {
			t.Errorf("the server sends %q, which wire.Frame does not read: add it there", name)
		}
	}
	for name := range client {
		if _, ok := server[name]; !ok {
			t.Errorf("wire.Frame reads %q, which the server never sends: remove it or send it", name)
		}
	}
	// The shapes inside are wire's own types on both sides.
	for name, st := range server {
		ct := client[name]
		if st == nil || ct == nil {
			continue
		}
		if base(st).PkgPath() == "helpline/chat/wire" && base(st) != base(ct) {
			t.Errorf("%q: the server sends %v, the client reads %v", name, st, ct)
		}
	}
}

// jsonNames maps each field's JSON name to its type.
func jsonNames(typ reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range typ.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

// base strips pointers and slices.
func base(t reflect.Type) reflect.Type {
	for slices.Contains([]reflect.Kind{reflect.Pointer, reflect.Slice}, t.Kind()) {
		t = t.Elem()
	}
	return t
}

// TestTeamMembersGoOutAsWireReadsThem: TeamMember is the router's view of a
// colleague (with the account id and idle time, which stay on the server);
// on the wire it must be exactly wire.TeamMember.
func TestTeamMembersGoOutAsWireReadsThem(t *testing.T) {
	server, client := jsonNames(reflect.TypeOf(TeamMember{})), jsonNames(reflect.TypeOf(wire.TeamMember{}))
	if len(server) != len(client) {
		t.Errorf("TeamMember sends %d fields, wire.TeamMember reads %d", len(server), len(client))
	}
	for name, st := range server {
		if ct, ok := client[name]; !ok || st != ct {
			t.Errorf("TeamMember sends %q as %v; wire.TeamMember reads it as %v", name, st, ct)
		}
	}
}
