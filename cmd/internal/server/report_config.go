package server

import (
	"fmt"
	"strings"

	"helpline/counselors/report"
)

// ReportConfig is how the transparency report is published.
type ReportConfig struct {
	Public  bool
	Regions []string
	Policy  report.Policy
}

func (e *env) readReport(c *Config) {
	c.Report.Public = e.boolean("HELPLINE_PUBLIC_REPORT")
	for _, r := range strings.Split(e.get("HELPLINE_REPORT_REGIONS"), ",") {
		if r = strings.TrimSpace(r); r != "" {
			c.Report.Regions = append(c.Report.Regions, r)
		}
	}
	c.Report.Policy = report.Policy{SuppressBelow: e.whole("HELPLINE_REPORT_SUPPRESS_BELOW", 0),
		RoundTo: e.whole("HELPLINE_REPORT_ROUND_TO", 0), MinDenominator: e.whole("HELPLINE_REPORT_MIN_DENOMINATOR", 0)}
	if err := c.Report.Policy.Validate(); err != nil {
		e.fail(fmt.Errorf("HELPLINE_REPORT_SUPPRESS_BELOW / _ROUND_TO / _MIN_DENOMINATOR: %w", err))
	}
}
