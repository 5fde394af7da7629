package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/counselors/wrapup"
	"helpline/migrations/migrationstest"
)

// End-to-end tests of the counsellor's tools over HTTP and the WebSocket,
// on both stores: prepared answers, case notes, wrap-ups.

// auditActions returns "action target" of every audit row by actorID.
func auditActions(t *testing.T, ctx context.Context, srv *servertest.Server, actorID int64) []string {
	t.Helper()
	entries, err := srv.Staff.AuditLog(ctx, chat.Principal{Role: chat.RoleAdmin}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.ActorID == actorID {
			out = append(out, e.Action+" "+e.Target)
		}
	}
	return out
}

func hasRow(rows []string, row string) bool {
	for _, r := range rows {
		if r == row {
			return true
		}
	}
	return false
}

func TestPreparedAnswersEndToEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		c, in := signIn(t, ctx, srv, "ana", srv.MustCounselor(t, "ana", 2, servertest.Skills{Audiences: []string{"self"}}))
		_, other := signIn(t, ctx, srv, "beto", srv.MustCounselor(t, "beto", 2, servertest.Skills{Audiences: []string{"young"}}))
		accept(t, ctx, c, id)

		// The starting set, searched as one types, in the conversation's language.
		var list struct {
			Answers []struct {
				ID, Body, Scope string
				Placeholders    []string
				Editable        bool
			}
		}
		a := call(t, ctx, nil, "GET", srv.URL+"/api/answers?lang=es&q=regi%C3%B3n+servicio", in.Token, nil, nil)
		mustJSON(t, a.Body, &list)
		if a.Status != 200 || len(list.Answers) == 0 || list.Answers[0].ID != "es-derivacion" || strings.Join(list.Answers[0].Placeholders, ",") != "region,servicio" || list.Answers[0].Editable {
			t.Fatalf("search: %d %s", a.Status, a.Body)
		}
		// An answer of one's own, which a colleague does not see.
		if a := call(t, ctx, nil, "PUT", srv.URL+"/api/answers/ana-cita", in.Token, map[string]any{"language": "es", "scope": "own",
			"title": "Próxima cita", "body": "Nos vemos el {{dia}}.", "tags": []string{"cierre"}}, nil); a.Status != 200 || !strings.Contains(string(a.Body), `"editable":true`) {
			t.Fatalf("own answer: %d %s", a.Status, a.Body)
		}
		if a := call(t, ctx, nil, "GET", srv.URL+"/api/answers?q=cita", other.Token, nil, nil); a.Status != 200 || strings.Contains(string(a.Body), "ana-cita") {
			t.Fatalf("a colleague sees it: %s", a.Body)
		}
		if a := call(t, ctx, nil, "DELETE", srv.URL+"/api/answers/ana-cita", other.Token, nil, nil); a.Status != 404 {
			t.Fatalf("a colleague deleted it: %d", a.Status)
		}
		if a := call(t, ctx, nil, "PUT", srv.URL+"/api/answers/x", in.Token, map[string]any{"language": "es", "scope": "service", "title": "t", "body": "b"}, nil); a.Status != 404 {
			t.Fatalf("a counsellor wrote a shared answer: %d", a.Status)
		}
		if rows := auditActions(t, ctx, srv, staffID(t, in)); !hasRow(rows, "answer.save answer:ana-cita") {
			t.Fatalf("audit rows %q", rows)
		}
		// Two answers in one message, placeholders filled, reach the seeker as one.
		body := "Hola, soy Ana. Gracias por escribir. En Lima hay un servicio que acompaña a personas que quieren cambiar: Centro Norte."
		send(t, ctx, c, id, "m1", body)
		if _, err := s.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "text" && f.Body == body }); err != nil {
			t.Fatalf("the seeker never got the message: %v", err)
		}
	})
}

func TestCaseNotesEndToEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		c, in := signIn(t, ctx, srv, "carla", srv.MustCounselor(t, "carla", 2, servertest.Skills{}))
		_, stranger := signIn(t, ctx, srv, "dario", srv.MustCounselor(t, "dario", 2, servertest.Skills{}))
		_, sup := signIn(t, ctx, srv, "sofia", srv.MustAccount(t, "sofia", "Sofía", chat.RoleSupervisor, 2))
		accept(t, ctx, c, id)
		notes := srv.URL + "/api/conversations/" + id + "/casenotes"

		for i := 0; i < 2; i++ { // a retry stores it once
			if a := call(t, ctx, nil, "POST", notes, in.Token, map[string]any{"client_id": "n1", "body": "Acordamos un plan para el fin de semana"}, nil); a.Status != 201 {
				t.Fatalf("add: %d %s", a.Status, a.Body)
			}
		}
		var got struct {
			Notes []struct{ AuthorName, Body string }
		}
		a := call(t, ctx, nil, "GET", notes, sup.Token, nil, nil)
		mustJSON(t, a.Body, &got)
		if a.Status != 200 || len(got.Notes) != 1 || got.Notes[0].Body != "Acordamos un plan para el fin de semana" {
			t.Fatalf("supervisor reads: %d %s", a.Status, a.Body)
		}
		for _, method := range []string{"GET", "POST"} {
			if a := call(t, ctx, nil, method, notes, stranger.Token, map[string]any{"client_id": "n2", "body": "x"}, nil); a.Status != 404 {
				t.Fatalf("%s by a counsellor not on the conversation: %d %s", method, a.Status, a.Body)
			}
			if a := call(t, ctx, nil, method, notes, s.started.Token, map[string]any{"client_id": "n3", "body": "x"}, nil); a.Status != 401 {
				t.Fatalf("%s by the seeker: %d", method, a.Status)
			}
		}
		target := "conversation:" + id
		if rows := auditActions(t, ctx, srv, staffID(t, in)); !hasRow(rows, "casenote.write "+target) {
			t.Errorf("author's audit rows %q", rows)
		}
		if rows := auditActions(t, ctx, srv, staffID(t, sup)); !hasRow(rows, "casenote.read "+target) {
			t.Errorf("supervisor's audit rows %q", rows)
		}
		if rows := auditActions(t, ctx, srv, staffID(t, stranger)); hasRow(rows, "casenote.read "+target) || !hasRow(rows, "conversation.read_refused "+target) {
			t.Errorf("refused counsellor's audit rows %q", rows)
		}
		// The seeker erases the conversation: the notes go with it.
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/delete", "", map[string]string{"token": s.started.Token}, nil); a.Status != 204 {
			t.Fatalf("delete: %d", a.Status)
		}
		if a := call(t, ctx, nil, "GET", notes, sup.Token, nil, nil); a.Status != 404 {
			t.Fatalf("notes after erasure: %d %s", a.Status, a.Body)
		}
	})
}

// On PostgreSQL a note is sealed at rest, and refused when its audit row
// cannot be written: nothing is read, nothing stored.
func TestCaseNotesSealedAndFailClosed(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	srv := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	ctx := testCtx(t)
	s := mustSeeker(t, ctx, srv)
	id := s.started.ConversationID
	c, in := signIn(t, ctx, srv, "elena", srv.MustCounselor(t, "elena", 2, servertest.Skills{}))
	accept(t, ctx, c, id)
	notes := srv.URL + "/api/conversations/" + id + "/casenotes"
	secret := "Vive cerca del colegio, pidió no decirlo"
	if a := call(t, ctx, nil, "POST", notes, in.Token, map[string]any{"client_id": "n1", "body": secret}, nil); a.Status != 201 {
		t.Fatalf("add: %d %s", a.Status, a.Body)
	}
	var sealed []byte
	if err := pool.QueryRow(ctx, `SELECT body FROM case_notes`).Scan(&sealed); err != nil || bytes.Contains(sealed, []byte("colegio")) {
		t.Fatalf("note at rest: %q %v", sealed, err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE audit_log ADD CONSTRAINT notes_fail CHECK (action NOT LIKE 'casenote.%') NOT VALID`); err != nil {
		t.Fatal(err)
	}
	if a := call(t, ctx, nil, "GET", notes, in.Token, nil, nil); a.Status != 503 || a.Code != "unavailable" || bytes.Contains(a.Body, []byte("colegio")) {
		t.Fatalf("unaudited read: %d %s", a.Status, a.Body)
	}
	if a := call(t, ctx, nil, "POST", notes, in.Token, map[string]any{"client_id": "n2", "body": "otra"}, nil); a.Status != 503 {
		t.Fatalf("unaudited write: %d %s", a.Status, a.Body)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM case_notes`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("notes stored: %d %v", n, err)
	}
}

type wrapupView struct {
	FormVersion string            `json:"form_version"`
	Answers     map[string]string `json:"answers"`
	Done        bool              `json:"done"`
}

func getWrapup(t *testing.T, ctx context.Context, srv *servertest.Server, token, id string) (int, wrapupView) {
	t.Helper()
	var w wrapupView
	a := call(t, ctx, nil, "GET", srv.URL+"/api/conversations/"+id+"/wrapup", token, nil, nil)
	if a.Status == 200 {
		mustJSON(t, a.Body, &w)
	}
	return a.Status, w
}

// The seeker leaves; the counsellor's capacity is free at once, and the
// wrap-up can still be finished.
func TestWrapupAfterTheSeekerLeft(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		c, in := signIn(t, ctx, srv, "fede", srv.MustCounselor(t, "fede", 1, servertest.Skills{}))
		accept(t, ctx, c, id)
		wu := srv.URL + "/api/conversations/" + id + "/wrapup"
		if a := call(t, ctx, nil, "PUT", wu, in.Token, map[string]any{"answers": map[string]string{"contact_type": "own_thoughts"}}, nil); a.Status != 200 {
			t.Fatalf("draft: %d %s", a.Status, a.Body)
		}
		if a := call(t, ctx, nil, "POST", wu+"/complete", in.Token, map[string]any{"answers": fullWrapup}, nil); a.Status != 409 {
			t.Fatalf("completed while the conversation goes on: %d %s", a.Status, a.Body)
		}
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/leave", "", map[string]string{"token": s.started.Token}, nil); a.Status != 204 {
			t.Fatalf("leave: %d", a.Status)
		}
		waitFrame(t, ctx, c, "the end", func(f chatclient.Frame) bool {
			return f.Type == "conversation" && f.Conversation.ID == id && f.Conversation.Status == "ended"
		})
		// Capacity 1, and the wrap-up not done: the next seeker can be taken.
		next := mustSeeker(t, ctx, srv)
		accept(t, ctx, c, next.started.ConversationID)

		if st, w := getWrapup(t, ctx, srv, in.Token, id); st != 200 || w.Done || w.Answers["contact_type"] != "own_thoughts" {
			t.Fatalf("draft after the seeker left: %d %+v", st, w)
		}
		a := call(t, ctx, nil, "POST", wu+"/complete", in.Token, map[string]any{"answers": fullWrapup}, nil)
		if a.Status != 200 || !strings.Contains(string(a.Body), `"done":true`) {
			t.Fatalf("complete: %d %s", a.Status, a.Body)
		}
		if rows := auditActions(t, ctx, srv, staffID(t, in)); !hasRow(rows, "wrapup.complete conversation:"+id) {
			t.Errorf("audit rows %q", rows)
		}
	})
}

func TestWrapupDraftFollowsATransfer(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		from, fromIn := signIn(t, ctx, srv, "gala", srv.MustCounselor(t, "gala", 2, servertest.Skills{}))
		to, toIn := signIn(t, ctx, srv, "hugo", srv.MustCounselor(t, "hugo", 2, servertest.Skills{}))
		accept(t, ctx, from, id)
		draft := map[string]string{"contact_type": "someone_else", "category": "concern_other/partner"}
		if a := call(t, ctx, nil, "PUT", srv.URL+"/api/conversations/"+id+"/wrapup", fromIn.Token, map[string]any{"answers": draft}, nil); a.Status != 200 {
			t.Fatalf("draft: %d %s", a.Status, a.Body)
		}
		team := chatclient.Team{}
		if _, err := from.WaitFor(ctx, func(f chatclient.Frame) bool { return team.Apply(f) && len(team) == 2 }); err != nil {
			t.Fatalf("team never showed both: %v", err)
		}
		from.Send(ctx, map[string]any{"type": "transfer", "conversation_id": id, "to": toIn.Staff.ID, "note": ""})
		if _, err := to.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.ID == id }); err != nil {
			t.Fatal(err)
		}
		if st, w := getWrapup(t, ctx, srv, toIn.Token, id); st != 200 || w.Answers["category"] != "concern_other/partner" {
			t.Fatalf("the new counsellor's draft: %d %+v", st, w)
		}
		if st, _ := getWrapup(t, ctx, srv, fromIn.Token, id); st != 404 {
			t.Fatalf("the former counsellor still reads it: %d", st)
		}
	})
}

// Erasing the conversation takes its wrap-up and notes; the wrap-up's
// anonymous categories remain as daily counts only.
func TestErasureLeavesOnlyWrapupCounts(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		c, in := signIn(t, ctx, srv, "ines", srv.MustCounselor(t, "ines", 2, servertest.Skills{}))
		accept(t, ctx, c, id)
		call(t, ctx, nil, "POST", srv.URL+"/api/conversations/"+id+"/casenotes", in.Token, map[string]any{"client_id": "n1", "body": "nota"}, nil)
		if err := c.Send(ctx, map[string]any{"type": "end", "conversation_id": id}); err != nil {
			t.Fatal(err)
		}
		waitFrame(t, ctx, c, "the end", func(f chatclient.Frame) bool {
			return f.Type == "conversation" && f.Conversation.ID == id && f.Conversation.Status == "ended"
		})
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/conversations/"+id+"/wrapup/complete", in.Token, map[string]any{"answers": fullWrapup}, nil); a.Status != 200 {
			t.Fatalf("complete: %d %s", a.Status, a.Body)
		}
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/delete", "", map[string]string{"token": s.started.Token}, nil); a.Status != 204 {
			t.Fatalf("delete: %d", a.Status)
		}
		if st, _ := getWrapup(t, ctx, srv, in.Token, id); st != 404 {
			t.Fatalf("wrap-up after erasure: %d", st)
		}
		now := time.Now()
		counts, err := srv.Tools.Wrapups.DailyCounts(ctx, now.Add(-24*time.Hour), now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, n := range counts {
			got[n.Field+"="+n.Value] += n.N
		}
		for field, value := range fullWrapup {
			if got[field+"="+value] != 1 {
				t.Errorf("count %s=%s: %d", field, value, got[field+"="+value])
			}
		}
		if got[wrapup.CompletedField+"=yes"] != 1 {
			t.Errorf("completed count: %v", got)
		}
		data, _ := json.Marshal(counts)
		if bytes.Contains(data, []byte(id)) || bytes.Contains(data, []byte("ines")) {
			t.Errorf("the counts name the conversation or counsellor: %s", data)
		}
	})
}
