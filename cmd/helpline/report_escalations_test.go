package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// reportTables reads a report's JSON as section.table → the table's JSON,
// and section → its waits and percentages' JSON.
func reportTables(t *testing.T, body []byte) (tables, figures map[string]string) {
	t.Helper()
	var doc struct {
		Sections []struct {
			Key    string `json:"key"`
			Tables []struct {
				Key   string          `json:"key"`
				Table json.RawMessage `json:"table"`
			} `json:"tables"`
			Percentages json.RawMessage `json:"percentages"`
			Waits       json.RawMessage `json:"waits"`
		} `json:"sections"`
	}
	mustJSON(t, body, &doc)
	tables, figures = map[string]string{}, map[string]string{}
	for _, s := range doc.Sections {
		figures[s.Key] = string(s.Percentages) + string(s.Waits)
		for _, tb := range s.Tables {
			tables[s.Key+"."+tb.Key] = string(tb.Table)
		}
	}
	return tables, figures
}

// TestEscalationsInTheReport: escalations raised, acknowledged and resolved
// over HTTP show in the report's escalations section (JSON and CSV) as the
// counts say, small counts suppressed, no debrief, no id of anything; the
// public report has the section too.
func TestEscalationsInTheReport(t *testing.T) {
	forEachStoreWith(t, servertest.Options{Env: map[string]string{"HELPLINE_PUBLIC_REPORT": "true"}}, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		counselor, ctoken := mustCounselor(t, ctx, srv, "alex", 12)
		_, stoken := staffMember(t, ctx, srv, "sam", "Sam", chat.RoleSupervisor)
		_, atoken := staffMember(t, ctx, srv, "admi", "Admin", chat.RoleAdmin)
		var ids, conversations []string
		for i := 0; i < 10; i++ {
			s := mustSeeker(t, ctx, srv)
			accept(t, ctx, counselor, s.started.ConversationID)
			conversations = append(conversations, s.started.ConversationID)
			r := raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": "self-" + s.started.ConversationID,
				"conversation_id": s.started.ConversationID, "reason": "self_harm", "urgency": "now", "note": "nota"}, 201)
			ids = append(ids, r.Escalation.ID)
			escalationAction(t, ctx, srv, stoken, r.Escalation.ID, "acknowledge", map[string]any{})
			escalationAction(t, ctx, srv, stoken, r.Escalation.ID, "resolve", map[string]any{"outcome": "advice_given", "note": "hecho"})
		}
		open := raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": "advice-1", "conversation_id": conversations[0],
			"reason": "need_advice", "urgency": "soon", "note": "¿y ahora?"}, 201)
		ids = append(ids, open.Escalation.ID)
		raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": "debrief-1", "reason": "debrief", "note": "un día duro"}, 201)

		month := time.Now().UTC().Format("2006-01")
		rep := call(t, ctx, nil, "GET", srv.URL+"/api/admin/report?month="+month, atoken, nil, nil)
		if rep.Status != 200 {
			t.Fatalf("admin report: %d %s", rep.Status, rep.Body)
		}
		tables, figures := reportTables(t, rep.Body)
		want := map[string][]string{
			// Ten self-harm escalations; one asking for advice, suppressed;
			// the debrief is not an escalation the report counts.
			"by_reason":  {`{"count":10,"reason":"self_harm"}`, `{"count":0,"reason":"child_at_risk"}`, `{"count":null,"note":"*","reason":"need_advice"}`},
			"by_urgency": {`{"category":"now","count":10}`, `{"category":"soon","count":null,"note":"*"}`},
			"on_shift":   {`{"count":0,"outcome":"nobody_on_shift"}`},
			"deadline":   {`{"count":10,"outcome":"met"}`, `{"count":0,"outcome":"missed"}`, `{"count":null,"note":"*","outcome":"pending"}`},
			"resolution": {`{"count":10,"outcome":"advice_given"}`, `{"count":null,"note":"*","outcome":"not_resolved"}`},
		}
		for key, cells := range want {
			got, ok := tables["escalations."+key]
			if !ok {
				t.Fatalf("the report has no escalations.%s: %v", key, tables)
			}
			for _, c := range cells {
				if !strings.Contains(got, c) {
					t.Errorf("escalations.%s lacks %s: %s", key, c, got)
				}
			}
		}
		if f := figures["escalations"]; !strings.Contains(f, `"key":"acknowledged"`) || !strings.Contains(f, `"key":"deadline_missed"`) || strings.Contains(f, `"median_seconds":`) && !strings.Contains(f, `"suppressed":true`) {
			t.Errorf("eleven acknowledgements are too few for a median, and it must say so: %s", f)
		}
		section := string(rep.Body[strings.Index(string(rep.Body), `"key":"escalations"`):])
		for _, id := range append(ids, conversations...) {
			if strings.Contains(string(rep.Body), id) {
				t.Errorf("the report names %s", id)
			}
		}
		if strings.Contains(section, "debrief") {
			t.Error("the report counts debriefs")
		}

		csv := call(t, ctx, nil, "GET", srv.URL+"/api/admin/report.csv?month="+month, atoken, nil, nil)
		for _, line := range []string{"escalations,by_reason,reason,self_harm,,,10,\n", "escalations,by_reason,reason,need_advice,,,,*\n",
			"escalations,deadline,outcome,met,,,10,\n", "escalations,acknowledged,,,,,,* median_seconds\n"} {
			if !strings.Contains(string(csv.Body), line) {
				t.Errorf("CSV lacks %q:\n%s", line, csv.Body)
			}
		}
		last := time.Now().UTC().AddDate(0, -1, 0).Format("2006-01")
		pub := call(t, ctx, nil, "GET", srv.URL+"/api/report?month="+last, "", nil, nil)
		if pubTables, _ := reportTables(t, pub.Body); pub.Status != 200 || !strings.Contains(pubTables["escalations.by_reason"], `{"count":0,"reason":"self_harm"}`) {
			t.Errorf("the public report of last month: %d %s", pub.Status, pub.Body)
		}
	})
}
