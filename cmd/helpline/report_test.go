package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/counselors/feedback"
)

// The whole path on both stores: a seeker's conversation ends, they answer
// the feedback form once (a plain form post, then JSON again, which stores
// nothing more), arrivals are turned away while the queue is full, and the
// admin's report and the public one show what the tallies say, suppressed.
func TestFeedbackAndReportOverHTTP(t *testing.T) {
	env := map[string]string{"HELPLINE_PUBLIC_REPORT": "true", "HELPLINE_REPORT_REGIONS": "Lima,Quito", "HELPLINE_MAX_QUEUE": "1"}
	forEachStoreWith(t, servertest.Options{Env: env}, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		password := srv.MustAccount(t, "root", "Root", chat.RoleAdmin, 1)
		admin, _, _, err := srv.Staff.Login(ctx, "root", password, "")
		if err != nil {
			t.Fatal(err)
		}
		st, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", "lima")
		if err != nil {
			t.Fatal(err)
		}
		// The queue holds one: the next eight are turned away.
		for i := 0; i < 8; i++ {
			if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/conversations", "", map[string]any{"language": "es"}, nil); a.Status != 503 || a.Code != "closed" {
				t.Fatalf("arrival %d with the queue full: %d %s", i, a.Status, a.Body)
			}
		}
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/leave", "", map[string]string{"token": st.Token}, nil); a.Status != 204 {
			t.Fatalf("leave: %d %s", a.Status, a.Body)
		}

		form := url.Values{"token": {st.Token}, "helpful": {"4"}, "feeling": {"2"}, "comment": {"  Gracias por escuchar  "}, "lang": {"es"}}
		page := call(t, ctx, nil, "POST", srv.URL+"/seeker/feedback", "", []byte(form.Encode()), formHeader)
		if page.Status != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page.Body), "Tus respuestas nos ayudan") {
			t.Fatalf("form post: %d %s %s", page.Status, page.Header.Get("Content-Type"), page.Body)
		}
		bad := call(t, ctx, nil, "POST", srv.URL+"/seeker/feedback", "", []byte("token=nope&helpful=2&lang=en"), formHeader)
		if bad.Status != 401 || !strings.Contains(string(bad.Body), "your answers weren&#39;t saved") {
			t.Fatalf("form post with a bad credential: %d %s", bad.Status, bad.Body)
		}
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/feedback", "", map[string]any{"token": st.Token, "helpful": 1}, nil); a.Status != 204 {
			t.Fatalf("again as JSON: %d %s", a.Status, a.Body)
		}
		week := feedback.Week(time.Now())
		comments := call(t, ctx, nil, "GET", srv.URL+"/api/admin/feedback/comments?from="+week+"&to="+week, admin, nil, nil)
		if comments.Status != 200 || !strings.Contains(string(comments.Body), `"text":"Gracias por escuchar"`) {
			t.Fatalf("comments: %d %s", comments.Status, comments.Body)
		}
		counts, _ := srv.Feedback.Counts(ctx, week, week)
		if len(counts) != 2 {
			t.Fatalf("scores %+v: the second submission must store nothing", counts)
		}

		month := time.Now().UTC().Format("2006-01")
		rep := call(t, ctx, nil, "GET", srv.URL+"/api/admin/report?month="+month, admin, nil, nil)
		var body struct {
			Sections []struct {
				Key    string `json:"key"`
				Tables []struct {
					Key   string          `json:"key"`
					Table json.RawMessage `json:"table"`
				} `json:"tables"`
			} `json:"sections"`
		}
		if rep.Status != 200 || json.Unmarshal(rep.Body, &body) != nil {
			t.Fatalf("admin report: %d %s", rep.Status, rep.Body)
		}
		tables := map[string]string{}
		sections := map[string]bool{}
		for _, s := range body.Sections {
			sections[s.Key] = true
			for _, tb := range s.Tables {
				tables[s.Key+"."+tb.Key] = string(tb.Table)
			}
		}
		// The features that keep anonymous counts add their sections.
		if !sections["referrals"] || !sections["wrapup"] || !strings.Contains(tables["referrals.by_event"], `"contact_made"`) {
			t.Errorf("the report lacks the referral or wrap-up section: sections %v, referrals %s", sections, tables["referrals.by_event"])
		}
		if !strings.Contains(tables["contacts.by_region"], `{"count":null,"note":"*","region":"Lima"}`) {
			t.Errorf("one contact from Lima must be suppressed: %s", tables["contacts.by_region"])
		}
		if !strings.Contains(tables["unmet_demand.turned_away_by_reason"], `{"count":10,"reason":"queue_full"}`) {
			t.Errorf("eight arrivals turned away as queue full, rounded to 10: %s", tables["unmet_demand.turned_away_by_reason"])
		}
		csv := call(t, ctx, nil, "GET", srv.URL+"/api/admin/report.csv?month="+month, admin, nil, nil)
		if csv.Status != 200 || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(string(csv.Body), "contacts,by_region,region,Lima,,,,*\n") {
			t.Fatalf("CSV: %d %s", csv.Status, csv.Body)
		}

		// The public report: completed months only.
		if a := call(t, ctx, nil, "GET", srv.URL+"/api/report?month="+month, "", nil, nil); a.Status != 404 || a.Code != "not_found" {
			t.Errorf("the month under way is public: %d %s", a.Status, a.Body)
		}
		last := time.Now().UTC().AddDate(0, -1, 0).Format("2006-01")
		if a := call(t, ctx, nil, "GET", srv.URL+"/api/report", "", nil, nil); a.Status != 200 || !strings.Contains(string(a.Body), `"period":{"from":"`+last+`-01"`) {
			t.Errorf("the last completed month: %d %s", a.Status, a.Body)
		}
		if a := call(t, ctx, nil, "GET", srv.URL+"/report", "", nil, nil); a.Status != 200 || !strings.Contains(string(a.Body), "/report.js\"") {
			t.Errorf("the public page: %d", a.Status)
		}
	})
}
