package directory_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"helpline/migrations/migrationstest"
	"helpline/routing/directory"
)

// The contract every Store keeps, run against both implementations.
func TestStoreContract(t *testing.T) {
	stores := map[string]func(t *testing.T) directory.Store{
		"memory": func(*testing.T) directory.Store { return directory.NewMemoryStore() },
		"postgres": func(t *testing.T) directory.Store {
			pool, _ := migrationstest.MustOpen(t)
			return directory.NewPostgresStore(pool)
		},
	}
	tests := map[string]func(t *testing.T, s directory.Store){
		"put and read back":             testPutAndRead,
		"soft delete":                   testSoftDelete,
		"unknown organisation":          testUnknownOrganization,
		"import is all or nothing":      testImportAllOrNothing,
		"caller's changes stay outside": testCopies,
	}
	for storeName, open := range stores {
		t.Run(storeName, func(t *testing.T) {
			for name, test := range tests {
				t.Run(name, func(t *testing.T) { test(t, open(t)) })
			}
		})
	}
}

var testOrg = directory.Organization{ID: "org-1", Name: "Fictional example org", Description: "Fictional example."}

func testService(id string) directory.Service {
	return directory.Service{ID: id, OrganizationID: testOrg.ID, Fallback: "es",
		Name:        directory.Text{"es": "Servicio " + id, "en": "Service " + id},
		Description: directory.Text{"es": "Ejemplo ficticio"}, Cost: directory.Text{"en": "Free"},
		Regions: []string{"ES-MD", "ES"}, Audiences: []directory.Audience{directory.AudienceYoung, directory.AudienceSelf},
		Kinds: []directory.Kind{directory.KindTherapy}, Languages: []string{"es", "en"}, MinAge: 13, MaxAge: 17,
		Channels: []directory.Channel{{Kind: directory.ChannelSecureIntake, Address: "https://intake.example.org/x"},
			{Kind: directory.ChannelPhone, Address: "+34 000"}},
		Hours: "mon-fri 09:00-17:00", TimeZone: "Europe/Madrid", AcceptsWarmReferral: true,
		Status: directory.StatusActive, VerifiedOn: "2026-11-01", UpdatedAt: time.Date(2026, 11, 2, 10, 0, 0, 123456000, time.UTC)}
}

func mustPut(t *testing.T, s directory.Store, services ...directory.Service) {
	t.Helper()
	ctx := context.Background()
	if err := s.PutOrganization(ctx, testOrg); err != nil {
		t.Fatal(err)
	}
	for _, svc := range services {
		if err := s.PutService(ctx, svc); err != nil {
			t.Fatal(err)
		}
	}
}

func testPutAndRead(t *testing.T, s directory.Store) {
	ctx := context.Background()
	mustPut(t, s, testService("b"), testService("a"))
	got, err := s.Service(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	want := testService("a")
	// Stored normalised: lists sorted, hours in one form.
	want.Regions = []string{"ES", "ES-MD"}
	want.Audiences = []directory.Audience{directory.AudienceSelf, directory.AudienceYoung}
	want.Languages = []string{"en", "es"}
	want.Channels = []directory.Channel{want.Channels[1], want.Channels[0]}
	want.Hours = "mon,tue,wed,thu,fri 09:00-17:00"
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, want)
	}
	list, err := s.Services(ctx, false)
	if err != nil || len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" {
		t.Fatalf("Services = %v, %v; want a, b in id order", list, err)
	}
	orgs, err := s.Organizations(ctx)
	if err != nil || !reflect.DeepEqual(orgs, []directory.Organization{testOrg}) {
		t.Fatalf("Organizations = %v, %v", orgs, err)
	}
	if _, err := s.Service(ctx, "nope"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("unknown id: %v, want ErrNotFound", err)
	}
}

func testSoftDelete(t *testing.T, s directory.Store) {
	ctx := context.Background()
	mustPut(t, s, testService("a"), testService("b"))
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	if err := s.DeleteService(ctx, "a", at); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteService(ctx, "a", at); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	listed, _ := s.Services(ctx, false)
	if len(listed) != 1 || listed[0].ID != "b" {
		t.Fatalf("listed after delete = %v, want only b", listed)
	}
	all, _ := s.Services(ctx, true)
	if len(all) != 2 || !all[0].DeletedAt.Equal(at) {
		t.Fatalf("with deleted = %v, want a (deleted at %v) and b", all, at)
	}
	got, err := s.Service(ctx, "a")
	if err != nil || !got.Deleted() {
		t.Fatalf("a deleted service is still readable, marked deleted: %+v, %v", got, err)
	}
	mustPut(t, s, testService("a"))
	if got, _ := s.Service(ctx, "a"); got.Deleted() {
		t.Fatal("putting a deleted service again should list it again")
	}
}

func testUnknownOrganization(t *testing.T, s directory.Store) {
	svc := testService("a")
	svc.OrganizationID = "missing"
	if err := s.PutService(context.Background(), svc); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("service of an unknown organisation: %v, want ErrNotFound", err)
	}
}

func testImportAllOrNothing(t *testing.T, s directory.Store) {
	ctx := context.Background()
	bad := testService("b")
	bad.OrganizationID = "missing"
	err := s.Import(ctx, []directory.Organization{testOrg}, []directory.Service{testService("a"), bad})
	if err == nil {
		t.Fatal("import with a service of an unknown organisation succeeded")
	}
	if list, _ := s.Services(ctx, true); len(list) != 0 {
		t.Fatalf("a failed import left %d services", len(list))
	}
	if orgs, _ := s.Organizations(ctx); len(orgs) != 0 {
		t.Fatalf("a failed import left organisations %v", orgs)
	}
	if err := s.Import(ctx, []directory.Organization{testOrg}, []directory.Service{testService("a"), testService("b")}); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Services(ctx, false); len(list) != 2 {
		t.Fatalf("import stored %d services, want 2", len(list))
	}
}

func testCopies(t *testing.T, s directory.Store) {
	ctx := context.Background()
	svc := testService("a")
	mustPut(t, s, svc)
	svc.Name["es"] = "changed"
	svc.Regions[0] = "GB"
	got, _ := s.Service(ctx, "a")
	got.Name["en"] = "changed too"
	again, _ := s.Service(ctx, "a")
	if again.Name["es"] != "Servicio a" || again.Name["en"] != "Service a" || again.Regions[0] != "ES" {
		t.Fatalf("the store shares memory with its callers: %+v", again)
	}
}
