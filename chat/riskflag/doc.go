// Package riskflag looks at what help-seekers write, as it is stored, for
// phrases that a counsellor should not miss: a child may be at risk now,
// the person may harm themselves, acute distress, abusive or testing
// behaviour. A match is a prompt for a person, never a decision: it shows
// the conversation's staff a flag (the category, the words that matched,
// the list and its version), and for the categories its list marks
// "imminent" it opens an escalation with urgency "now" (through an
// Escalator the caller hands in) and moves a waiting seeker ahead in the
// queue (chat.PriorityRisk). The seeker sees nothing of it.
//
// What it owns: the phrase lists (phrases/<name>.json, embedded, replaced
// or added to by the files of a directory: Load), their versions as admins
// edit them (Library on a ListStore: memory, or PostgreSQL's
// risk_phrase_lists; every instance picks up a new version at its next
// check, and CheckEdit refuses phrases too short or doubled), the matcher (accent- and
// case-insensitive, on whole words, explainable, no network), and the
// flags kept per conversation (Store: memory, and PostgreSQL's risk_flags
// table, whose matched words are sealed and which goes with its
// conversation).
//
// Who calls it: chat calls Service.SeekerTexts after commit, through the
// chat.SeekerTextObserver door (chat.Config.SeekerTexts), on one goroutine
// per instance, off the message path; web calls Service.Flags for a staff
// read, after chat.Service.ReadContent has allowed and audited it. It
// imports chat (types, chat.Recipients, chat.PriorityRisk); chat never
// imports it. It reaches the chat service only through its Chat interface,
// set once with SetChat before messages flow, and the escalation service
// through its Escalator interface (Config.Escalator or SetEscalator; none:
// flags and risk priority without automatic escalation).
//
// Concurrency: Lists and Matcher are immutable once loaded and safe for any
// number of goroutines. Service methods and both stores are safe for
// concurrent use.
package riskflag
