// Package transparency builds the transparency report: for a calendar
// month or any range of days, contacts by audience, language, coarse
// region and month; what became of them (answered, left the queue, quick
// exit, did not come back, closed, not yet ended); waits (median and 90th
// percentile), conversation length, unmet demand (arrivals turned away,
// by reason) and seekers' feedback; and the sections other features add
// through Source (escalations, referrals, wrap-up categories).
//
// It reads only anonymous aggregates: the tallies the chat stores keep in
// the same transaction as each state change (chat.Tallies), the feedback
// scores (counselors/feedback Counts, never comments), and what each
// Source returns, which must itself be anonymous counts. It never reads
// conversations or messages.
//
// Every figure goes through counselors/report: counts with Publish (1–7
// suppressed, the rest rounded to 5, totals from raw counts, secondary
// protection), breakdowns of one population linked with ProtectLinked so
// that no table gives away what another withholds, percentages with
// Percentage (and only when their total is shown), waits with
// SummariseHistogram. The thresholds are the Policy the service is built
// with. Nothing is split by counsellor.
//
// Who calls it: web, for the admin report (JSON, CSV, page) and the
// optional public page; sources are registered by the server at start.
//
// Concurrency: a Service is safe for concurrent use once its sources are
// added (AddSource before the first Build); a Report is a plain value.
package transparency
