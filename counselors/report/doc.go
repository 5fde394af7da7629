// Package report owns disclosure control for the transparency report: the
// rule that turns raw counts into figures safe to publish, and the JSON and
// CSV forms of a published table. It reads no store and serves nothing;
// the code that gathers anonymous aggregates and the pages that show them
// call it, and every figure a report publishes must pass through it
// (Publish, ProtectLinked, Policy.Count, Percentage, SummariseWaits,
// SummariseHistogram).
//
// # The rule
//
// With the default Policy (SuppressBelow 8, RoundTo 5, MinDenominator 25),
// the rule NHS Digital adopted in 2018 for the same reason we do:
//
//   - a count from 1 to 7 is suppressed; every other count is rounded to
//     the nearest 5 (8 → 10, 12 → 10, 13 → 15);
//   - totals (row, column, grand) are computed from the raw counts and then
//     put through the same rule, never summed from rounded or suppressed
//     cells;
//   - a percentage is computed from the raw numerator and denominator,
//     rounded to a whole percent, and shown only when the denominator is at
//     least 25 and neither the numerator nor the rest of the denominator is
//     a suppressed count (3 of 30 is 10%, and 30 is shown: that would give
//     the 3 back);
//   - a median or 90th percentile of waits is shown only over at least 25
//     observations;
//   - nothing per counsellor: a table is split by one or two of a closed
//     set of dimensions (audience, language, coarse region, contact type,
//     category, outcome, reason, week, month), and Dimension cannot be made
//     outside this package. The values are the caller's: regions must be
//     coarse (a country's first level at most), and no value may name a
//     person.
//
// Thresholds are configurable per tenant through Policy, and Validate
// refuses a policy that would stop protecting anyone: SuppressBelow and
// RoundTo at least 3, MinDenominator at least SuppressBelow, and RoundTo at
// most twice SuppressBelow so that no shown count rounds to 0.
//
// # Zero
//
// A true zero is shown as 0, as CMS and Ofqual do. Cells count contacts of
// an anonymous service, not people in a register: "no contact of this kind
// this month" says nothing about anyone. A zero
// beside one non-zero cell does say that every contact in that row fell in
// the same column, but nobody in the row can be identified, and that row's
// total is itself suppressed or rounded.
//
// # Does rounding alone defeat differencing?
//
// A bare "<5" with exact counts beside it leaks: the total minus the other
// cells is the hidden count, and so is the difference between two
// overlapping periods (TestSuppressedCountIsNotRecoveredFromOverlappingPeriods
// shows the attack recovering a 3). Rounding every shown figure, totals
// included, to 5 makes each shown figure stand for a range of 5 raw values
// (10 stands for 8–12: 8 is the least a shown count can be), so a
// difference leaves a range. For one suppressed cell beside one shown
// cell the range always keeps at least two values of 1–7.
//
// It does not always keep two. The ranges add up, and when the others sit
// at the bottom of theirs and the total at the top, the hidden count is
// pinned: cells 1, 8, 8 publish as *, 10, 10 with total 15; 8 + 8 is at
// least 16 and 15 is at most 17, so the * is 1. In a table of two
// dimensions a row and a column can each leave two values and together
// leave one (TestRowAndColumnTogetherCanPinACell). So rounding is not
// enough on its own, and Publish adds secondary protection: it withholds a
// total (marked ReasonWithheld) that could give a suppressed cell away.
//
//   - One dimension: the total is withheld when, for any raw total the
//     published cells allow, it would pin a suppressed cell. For a single
//     sum this test is exact.
//   - Two dimensions: every row and column total of a line holding a
//     suppressed cell is withheld, and the grand total if any cell is
//     suppressed. A suppressed cell then stands in no published sum.
//
// The decision depends only on the published cells, never on the raw
// total: withholding a total only when it pins a cell would tell the
// attacker that the cell sits at the edge of its range. The tests check
// all this by brute force: they enumerate every table of raw counts that
// publishes exactly as the real one and assert that each suppressed cell
// keeps more than one possible value.
//
// Sums across tables: breakdowns of one population (contacts by
// audience, by language, by month) share their total, so one table's
// cells bound the total another withholds, and a table of one cell is the
// total. ProtectLinked protects such tables together: all withhold their
// total when any hides a figure, and while the common total the published
// cells allow would pin a suppressed count, more cells are withheld
// (ReasonComplementary, marked "+"). TestLinkedTablesKeepEverySuppressedCountAmbiguous
// attacks random linked tables by brute force.
//
// What this package cannot see otherwise: sums across tables it is not
// told are linked. A report that
// publishes the same counts twice (by category alone, and by category and
// month) republishes the totals a table withheld; overlapping date ranges
// add new differences. The tested overlapping months stay ambiguous, but
// the public report should publish each breakdown once, over fixed
// calendar months, and leave arbitrary date ranges to admins.
//
// # Encoding
//
// A figure not shown has an empty value (null in JSON, an empty field in
// CSV) and a footnote marker: "*" for a suppressed count, "+" for a
// withheld total. The JSON carries the footnotes; see MarshalJSON and
// WriteCSV for the layouts.
//
// # Concurrency
//
// A RawTable is built by one goroutine and is not safe for concurrent
// writes. Policy, Figure, Percent, Waits and PublishedTable are plain
// values: once returned they may be read and encoded from any number of
// goroutines. The package has no global state.
package report
