package directory_test

import (
	"slices"
	"testing"
	"time"

	"helpline/routing/directory"
)

func searchService(id string, regions []string, audiences []directory.Audience, languages []string, hours string) directory.Service {
	return directory.Service{ID: id, Regions: regions, Audiences: audiences, Languages: languages, Hours: hours,
		TimeZone: "Europe/Madrid", Status: directory.StatusActive}
}

func TestRank(t *testing.T) {
	self, young := []directory.Audience{directory.AudienceSelf}, []directory.Audience{directory.AudienceYoung}
	es, en := []string{"es"}, []string{"en"}
	// Tuesday 2026-12-01 10:00 in Madrid.
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	open, closed := "mon-fri 09:00-17:00", "sat 10:00-12:00"
	closedTemp := searchService("closed-md", []string{"ES-MD"}, self, es, open)
	closedTemp.Status = directory.StatusTemporarilyClosed
	inactive := searchService("inactive-md", []string{"ES-MD"}, self, es, open)
	inactive.Status = directory.StatusInactive
	deleted := searchService("deleted-md", []string{"ES-MD"}, self, es, open)
	deleted.DeletedAt = now.Add(-time.Hour)

	tests := []struct {
		name     string
		services []directory.Service
		q        directory.Query
		want     []string
	}{
		{"subdivision before country before anywhere", []directory.Service{
			searchService("anywhere", []string{directory.Anywhere}, self, es, open),
			searchService("country", []string{"ES"}, self, es, open),
			searchService("madrid", []string{"ES-MD"}, self, es, open),
		}, directory.Query{Region: "ES-MD"}, []string{"madrid", "country", "anywhere"}},
		{"another region is left out", []directory.Service{
			searchService("catalonia", []string{"ES-CT"}, self, es, open),
			searchService("mexico", []string{"MX"}, self, es, open),
			searchService("madrid", []string{"ES-MD"}, self, es, open),
		}, directory.Query{Region: "es-md"}, []string{"madrid"}},
		{"country only: subdivisions after country-wide, before anywhere", []directory.Service{
			searchService("anywhere", []string{directory.Anywhere}, self, es, open),
			searchService("madrid", []string{"ES-MD"}, self, es, open),
			searchService("country", []string{"ES"}, self, es, open),
		}, directory.Query{Region: "ES"}, []string{"country", "madrid", "anywhere"}},
		{"region outranks audience", []directory.Service{
			searchService("country-young", []string{"ES"}, young, es, open),
			searchService("madrid-self", []string{"ES-MD"}, self, es, open),
		}, directory.Query{Region: "ES-MD", Audience: directory.AudienceYoung}, []string{"madrid-self", "country-young"}},
		{"audience outranks language", []directory.Service{
			searchService("self-en", nil, self, en, open),
			searchService("young-es", nil, young, es, open),
		}, directory.Query{Audience: directory.AudienceYoung, Language: "en"}, []string{"young-es", "self-en"}},
		{"language outranks open now", []directory.Service{
			searchService("es-open", []string{"ES"}, self, es, open),
			searchService("en-closed", []string{"ES"}, self, en, closed),
		}, directory.Query{Region: "ES", Language: "en"}, []string{"en-closed", "es-open"}},
		{"open now, then unknown hours, then closed", []directory.Service{
			searchService("closed", []string{"ES"}, self, es, closed),
			searchService("unknown", []string{"ES"}, self, es, ""),
			searchService("open", []string{"ES"}, self, es, open),
		}, directory.Query{Region: "ES"}, []string{"open", "unknown", "closed"}},
		{"temporarily closed last, inactive and deleted left out", []directory.Service{
			closedTemp, inactive, deleted,
			searchService("anywhere-closed-hours", []string{directory.Anywhere}, young, en, closed),
		}, directory.Query{Region: "ES-MD", Audience: directory.AudienceSelf, Language: "es"}, []string{"anywhere-closed-hours", "closed-md"}},
		{"nothing known: every listed service, open first, then id", []directory.Service{
			searchService("b", []string{"GB"}, self, en, open),
			searchService("c", []string{"MX"}, self, es, closed),
			searchService("a", []string{directory.Anywhere}, self, es, open),
		}, directory.Query{}, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range directory.Rank(tt.services, tt.q, now) {
				got = append(got, s.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Rank(%+v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}
