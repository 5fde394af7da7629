package main

import (
	"fmt"
	"testing"
)

// BenchmarkStaffTraffic is the staff traffic of a large helpline's shift
// change: 1,000 and 5,000 consoles connecting over a 20-second ramp of the
// staff clock while a seeker arrives each second (as
// TestStaffTrafficGrowsLinearlyInTheConsoles, larger): "web" consoles ask
// for the streams the web console asks for, "default" ones say nothing
// (whole queue frames). It reports the
// bytes of team, team_changes and queue frames every console received, per
// console and in all, and how many team changes were encoded (once each,
// whatever the number of consoles) against how many team frames were
// delivered. One run is one ramp: use -benchtime=1x.
//
//	go test ./cmd/helpline -run '^$' -bench BenchmarkStaffTraffic -benchtime=1x -v
func BenchmarkStaffTraffic(b *testing.B) {
	for _, consoles := range []int{1000, 5000} {
		// As the web console asks, and as a console that does not say
		// (whole queue frames, the team as the web console gets it).
		for _, mode := range []struct{ name, streams string }{{"web", webConsoleStreams}, {"default", ""}} {
			b.Run(fmt.Sprintf("%d/%s", consoles, mode.name), func(b *testing.B) {
				var m staffTrafficFigures
				for range b.N {
					m = staffTraffic(b, "memory", consoles, mode.streams)
				}
				b.ReportMetric(float64(m.team+m.queue)/1e6, "MB-staff-frames")
				b.ReportMetric(float64(m.team)/float64(consoles), "team-B/console")
				b.ReportMetric(float64(m.queue)/float64(consoles), "queue-B/console")
				b.ReportMetric(float64(m.versions), "team-changes-encoded")
				b.ReportMetric(float64(m.teamFrames), "team-frames-delivered")
				b.Logf("%s", m)
			})
		}
	}
}
