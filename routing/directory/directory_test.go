package directory_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"helpline/routing/directory"
)

type auditEntry struct {
	actor                  int64
	action, target, detail string
}

type fakeAuditor struct {
	entries []auditEntry
	fail    error
}

func (f *fakeAuditor) Record(_ context.Context, actor int64, action, target, detail string) error {
	f.entries = append(f.entries, auditEntry{actor, action, target, detail})
	return f.fail
}

func (f *fakeAuditor) actions() []string {
	var out []string
	for _, e := range f.entries {
		out = append(out, e.action+" "+e.target)
	}
	return out
}

var fixedNow = func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }

func TestEveryChangeIsAudited(t *testing.T) {
	ctx := context.Background()
	audit := &fakeAuditor{}
	d := directory.New(directory.NewMemoryStore(), audit, fixedNow)
	if err := d.PutOrganization(ctx, testOrg, 7); err != nil {
		t.Fatal(err)
	}
	if err := d.PutService(ctx, testService("a"), 7); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteService(ctx, "a", 7); err != nil {
		t.Fatal(err)
	}
	want := []string{"directory_organization_put org-1", "directory_service_put a", "directory_service_delete a"}
	if !slices.Equal(audit.actions(), want) {
		t.Fatalf("audit %v, want %v", audit.actions(), want)
	}
	for _, e := range audit.entries {
		if e.actor != 7 {
			t.Fatalf("entry %+v is not by actor 7", e)
		}
	}
	got, _ := d.Store().Service(ctx, "a")
	if !got.UpdatedAt.Equal(fixedNow()) || !got.DeletedAt.Equal(fixedNow()) {
		t.Fatalf("times from the injected clock: updated %v, deleted %v", got.UpdatedAt, got.DeletedAt)
	}
}

func TestRefusedChangeIsNeitherStoredNorAudited(t *testing.T) {
	ctx := context.Background()
	audit := &fakeAuditor{}
	d := directory.New(directory.NewMemoryStore(), audit, fixedNow)
	d.PutOrganization(ctx, testOrg, 0)
	bad := testService("a")
	bad.Regions = []string{"Madrid"}
	var ps directory.Problems
	if err := d.PutService(ctx, bad, 0); !errors.As(err, &ps) || ps[0].Field != "service_areas" || ps[0].Record != "a" {
		t.Fatalf("PutService(bad region) = %v, want a problem naming service a's service_areas", err)
	}
	if _, err := d.Store().Service(ctx, "a"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatal("a refused service was stored")
	}
	if len(audit.entries) != 1 {
		t.Fatalf("audit %v: only the organisation should be there", audit.actions())
	}
}

func TestAuditFailureIsReported(t *testing.T) {
	audit := &fakeAuditor{fail: errors.New("disk full")}
	d := directory.New(directory.NewMemoryStore(), audit, fixedNow)
	if err := d.PutOrganization(context.Background(), testOrg, 0); err == nil || !strings.Contains(err.Error(), "audit") {
		t.Fatalf("PutOrganization with a failing audit log = %v, want an error about the audit entry", err)
	}
}

func TestImportAuditsEachServiceAndTheWhole(t *testing.T) {
	ctx := context.Background()
	audit := &fakeAuditor{}
	d := directory.New(directory.NewMemoryStore(), audit, fixedNow)
	if err := directory.LoadSample(ctx, d); err != nil {
		t.Fatal(err)
	}
	set, _ := directory.Sample()
	if len(audit.entries) != len(set.Services)+1 {
		t.Fatalf("%d audit entries for %d services, want one each and one for the import", len(audit.entries), len(set.Services))
	}
	last := audit.entries[len(audit.entries)-1]
	if last.action != directory.AuditImport || last.target != directory.SampleFile || last.actor != 0 {
		t.Fatalf("last entry %+v, want the import by the system", last)
	}
	exported, err := d.Export(ctx)
	if err != nil || len(exported.Services) != len(set.Services) || len(exported.Organizations) != len(set.Organizations) {
		t.Fatalf("export after loading the sample: %d services, %d organisations, %v", len(exported.Services), len(exported.Organizations), err)
	}
}

func TestImportWithProblemsChangesNothing(t *testing.T) {
	ctx := context.Background()
	audit := &fakeAuditor{}
	d := directory.New(directory.NewMemoryStore(), audit, fixedNow)
	set, _ := directory.Sample()
	set.Services[len(set.Services)-1].Languages = nil
	if err := d.Import(ctx, set, "x.json", 0); err == nil {
		t.Fatal("an import with a problem succeeded")
	}
	if list, _ := d.Store().Services(ctx, true); len(list) != 0 || len(audit.entries) != 0 {
		t.Fatalf("a refused import left %d services and %d audit entries", len(list), len(audit.entries))
	}
}

// The sample must never pass for a real service: every name and description,
// in every language, says it is fictional; and it covers every audience.
func TestSampleIsFictionalAndCoversEveryAudience(t *testing.T) {
	set, err := directory.Sample()
	if err != nil {
		t.Fatal(err)
	}
	marked := func(s string) bool {
		s = strings.ToLower(s)
		return strings.Contains(s, "ejemplo ficticio") || strings.Contains(s, "fictional example")
	}
	for _, o := range set.Organizations {
		if !marked(o.Name) || !marked(o.Description) {
			t.Errorf("organisation %s is not marked fictional: %q / %q", o.ID, o.Name, o.Description)
		}
	}
	audiences := map[directory.Audience]bool{}
	regions := map[string]bool{}
	for _, s := range set.Services {
		for _, text := range []directory.Text{s.Name, s.Description} {
			if text["es"] == "" || text["en"] == "" {
				t.Errorf("service %s lacks Spanish or English: %v", s.ID, text)
			}
			for lang, v := range text {
				if !marked(v) {
					t.Errorf("service %s (%s) is not marked fictional: %q", s.ID, lang, v)
				}
			}
		}
		for _, a := range s.Audiences {
			audiences[a] = true
		}
		for _, r := range s.Regions {
			regions[r] = true
		}
	}
	for _, a := range directory.Audiences {
		if !audiences[a] {
			t.Errorf("no sample service for audience %s", a)
		}
	}
	for _, r := range []string{"ES", "ES-MD", "MX", "GB", directory.Anywhere} {
		if !regions[r] {
			t.Errorf("no sample service for region %s", r)
		}
	}
}

func TestSearchTheSample(t *testing.T) {
	ctx := context.Background()
	d := directory.New(directory.NewMemoryStore(), nil, fixedNow) // Tuesday 10:00 in Madrid
	if err := directory.LoadSample(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err := d.Search(ctx, directory.Query{Region: "ES-MD", Audience: directory.AudienceSelf, Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range got {
		ids = append(ids, s.ID)
	}
	want := []string{"sample-es-md-therapy", "sample-es-young", "sample-online-crisis", "sample-online-selfhelp", "sample-es-families"}
	if !slices.Equal(ids, want) {
		t.Fatalf("search for a Madrid adult in Spanish = %v, want %v", ids, want)
	}
}
