package directory_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"helpline/routing/directory"
)

// fullSet is the sample plus a service using every field.
func fullSet(t *testing.T) directory.Set {
	t.Helper()
	set, err := directory.Sample()
	if err != nil {
		t.Fatal(err)
	}
	s := testService("every-field")
	s.OrganizationID = set.Organizations[0].ID
	s.Regions = append(s.Regions, directory.Anywhere)
	s.Channels = append(s.Channels, directory.Channel{Kind: directory.ChannelWeb, Address: "https://example.org"},
		directory.Channel{Kind: directory.ChannelEmail, Address: "a@example.org"},
		directory.Channel{Kind: directory.ChannelInPerson, Address: "Calle Ficticia 2, Madrid"},
		directory.Channel{Kind: directory.ChannelPhone, Address: "+34 001"})
	s.Hours = "mon-fri 09:00-14:00,16:00-19:00; fri 22:00-02:00; sun 00:00-24:00"
	s.Kinds = directory.Kinds
	s.Audiences = directory.Audiences
	s.Status = directory.StatusTemporarilyClosed
	set.Services = append(set.Services, s)
	return set
}

// normalised is set as a store keeps it: written once and read back.
func normalised(t *testing.T, set directory.Set) directory.Set {
	t.Helper()
	var buf bytes.Buffer
	if err := directory.WriteJSON(&buf, set); err != nil {
		t.Fatal(err)
	}
	out, err := directory.ReadJSON("first.json", &buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestJSONRoundTrip(t *testing.T) {
	want := normalised(t, fullSet(t))
	var buf bytes.Buffer
	if err := directory.WriteJSON(&buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := directory.ReadJSON("export.json", &buf)
	if err != nil {
		t.Fatal(err)
	}
	assertSameSet(t, got, want)
	if last := got.Services[len(got.Services)-1]; !slices.Contains(last.Channels,
		directory.Channel{Kind: directory.ChannelInPerson, Address: "Calle Ficticia 2, Madrid"}) || last.MaxAge != 17 {
		t.Fatalf("fields lost on the way: %+v", last)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	want := normalised(t, fullSet(t))
	var buf bytes.Buffer
	if err := directory.WriteCSV(&buf, want); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := directory.ReadCSV("export.zip", z)
	if err != nil {
		t.Fatal(err)
	}
	assertSameSet(t, got, want)
}

func assertSameSet(t *testing.T, got, want directory.Set) {
	t.Helper()
	if !reflect.DeepEqual(got.Organizations, want.Organizations) {
		t.Errorf("organisations\n%+v\nwant\n%+v", got.Organizations, want.Organizations)
	}
	if len(got.Services) != len(want.Services) {
		t.Fatalf("%d services, want %d", len(got.Services), len(want.Services))
	}
	for i := range want.Services {
		g, w := got.Services[i], want.Services[i]
		g.UpdatedAt, w.UpdatedAt = time.Time{}, time.Time{} // set by the import
		if !reflect.DeepEqual(g, w) {
			t.Errorf("service %s\n%+v\nwant\n%+v", w.ID, g, w)
		}
	}
}

// problemsOf returns "file|record|field" of every problem err holds.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	var ps directory.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v is not Problems", err)
	}
	var out []string
	for _, p := range ps {
		if p.Text == "" || strings.HasPrefix(p.Text, " ") {
			t.Errorf("problem %+v does not say what is wrong", p)
		}
		out = append(out, p.File+"|"+p.Record+"|"+p.Field)
	}
	return out
}

const badJSON = `[
  {
    "id": "ok", "organization_id": "o", "name": "Bien", "description": "Ejemplo ficticio", "status": "active",
    "organization": {"id": "o", "name": "Org", "description": "Ejemplo ficticio"},
    "service_areas": [{"uri": "ES"}], "languages": [{"code": "es"}],
    "attributes": [{"taxonomy_term_id": "helpline-audience-self"}, {"taxonomy_term_id": "211-code-elsewhere"}]
  },
  {
    "id": "bad", "organization_id": "o", "name": "Mal", "description": "Ejemplo ficticio", "status": "open",
    "minimum_age": 12.5,
    "organization": {"id": "o", "name": "Org", "description": "Ejemplo ficticio"},
    "service_areas": [{"uri": "ES"}, {"uri": "Madrid"}],
    "languages": [{"code": "Spanish"}, {"code": "es"}],
    "schedules": [{"freq": "WEEKLY", "byday": "XX", "opens_at": "09:00", "closes_at": "17:00"}],
    "attributes": [{"taxonomy_term": {"taxonomy_id": "helpline-audience", "code": "adults"}},
                   {"taxonomy_term": {"taxonomy_id": "helpline-kind", "code": "therapy"}}],
    "x_intake": "http://insecure.example.org"
  },
  {
    "id": "ok", "organization_id": "missing", "name": "Otra", "description": "Ejemplo ficticio", "status": "active",
    "maximum_age": "ten",
    "service_areas": [{"uri": "ES"}], "languages": [{"code": "es"}],
    "attributes": [{"taxonomy_term": {"taxonomy_id": "helpline-audience", "code": "self"}}]
  }
]`

func TestReadJSONNamesEveryProblem(t *testing.T) {
	_, err := directory.ReadJSON("bad.json", strings.NewReader(badJSON))
	got := problemsOf(t, err)
	want := []string{
		"bad.json|line 8 (record 2)|minimum_age",
		"bad.json|line 8 (record 2)|service_areas[1].uri",
		"bad.json|line 8 (record 2)|languages[0].code",
		"bad.json|line 8 (record 2)|schedules[0].byday",
		"bad.json|line 8 (record 2)|attributes[0].taxonomy_term.code",
		"bad.json|line 8 (record 2)|attributes", // no audience left once "adults" is refused
		"bad.json|line 8 (record 2)|x_intake",
		"bad.json|line 8 (record 2)|status",
		"bad.json|line 19 (record 3)|maximum_age",
		"bad.json|line 19 (record 3)|id",
		"bad.json|line 19 (record 3)|organization_id",
	}
	if !sameItems(got, want) {
		t.Fatalf("problems\n%s\nwant\n%s\n(%v)", strings.Join(got, "\n"), strings.Join(want, "\n"), err)
	}
}

func TestReadJSONSyntaxErrorNamesTheLine(t *testing.T) {
	_, err := directory.ReadJSON("broken.json", strings.NewReader("[\n {\"id\": \"a\"},\n {\"id\": }\n]"))
	if got := problemsOf(t, err); !slices.Equal(got, []string{"broken.json|line 3|"}) {
		t.Fatalf("problems %v, want one on line 3 (%v)", got, err)
	}
}

func TestReadCSVNamesEveryProblem(t *testing.T) {
	files := fstest.MapFS{
		"organizations.csv": {Data: []byte("id,name,description\no,Org,Ejemplo ficticio\n")},
		"services.csv": {Data: []byte("id,organization_id,name,description,status,minimum_age,x_accepts_warm_referral,x_translations\n" +
			"ok,o,Bien,Ejemplo ficticio,active,,false,\n" +
			"bad,o,Mal,Ejemplo ficticio,closed,ten,perhaps,{not json\n" +
			"other,nobody,Otra,\"Ejemplo\nficticio\",active,,,\n")},
		"service_areas.csv": {Data: []byte("id,service_id,uri\n1,ok,ES\n2,bad,ES-MD\n3,bad,Spain\n4,ghost,ES\n5,bad\n")},
		"languages.csv":     {Data: []byte("id,service_id,code\n1,ok,es\n2,bad,es\n")},
		"schedules.csv":     {Data: []byte("id,service_id,freq,byday,opens_at,closes_at,x_timezone\n1,ok,WEEKLY,MO,9am,17:00,Europe/Madrid\n")},
		"taxonomy_terms.csv": {Data: []byte("id,code,name,description,taxonomy_id\n" +
			"t-self,self,self,x,helpline-audience\n")},
		"attributes.csv": {Data: []byte("id,link_id,link_type,link_entity,taxonomy_term_id\n" +
			"1,ok,audience,service,t-self\n2,bad,audience,service,t-self\n3,bad,audience,service,t-none\n")},
	}
	_, err := directory.ReadCSV("dir", files)
	got := problemsOf(t, err)
	want := []string{
		"dir/services.csv|line 3|minimum_age",
		"dir/services.csv|line 3|x_accepts_warm_referral",
		"dir/services.csv|line 3|x_translations",
		"dir/services.csv|line 3|status",
		"dir/service_areas.csv|line 4|uri",
		"dir/service_areas.csv|line 5|service_id",
		"dir/service_areas.csv|line 6|", // two fields where the header has three
		"dir/schedules.csv|line 2|opens_at",
		"dir/attributes.csv|line 4|taxonomy_term_id",
		// A quoted value over two lines: the record is named by its first line.
		"dir/services.csv|line 4|organization_id",
		"dir/services.csv|line 4|service_areas",
		"dir/services.csv|line 4|x_translations.fallback", // neither x_translations nor a language
		"dir/services.csv|line 4|languages",
		"dir/services.csv|line 4|attributes",
	}
	if !sameItems(got, want) {
		t.Fatalf("problems\n%s\nwant\n%s\n(%v)", strings.Join(got, "\n"), strings.Join(want, "\n"), err)
	}
}

func sameItems(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
