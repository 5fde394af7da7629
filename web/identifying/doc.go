// Package identifying spots, by local rules and with no network call, text
// that looks like it could identify the person writing or someone else: an
// email address, a phone number, a social-media handle, a street address, a
// school, a person's name given as such ("my son Pablo", "se llama Ana").
// The seeker's pages use it to ask, gently, before a message is sent ("this
// might identify you or someone else: send anyway / edit"); it never blocks,
// stores or reports anything.
//
// The rules are one file (rules.json), in the subset of regular-expression
// syntax that Go's RE2 and JavaScript's "u" flag read alike (\p{L}, classes,
// groups, alternation; no look-behind, no \b around letters with accents),
// so that the JavaScript page applies exactly these rules (served at
// /api/seeker/identifying-rules) and the page without JavaScript applies them
// here, and one set of cases (testdata/cases.json) checks both.
//
// Safe for concurrent use: the rules are compiled once and only read.
package identifying
