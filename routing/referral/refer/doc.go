// Package refer is referral inside a conversation: the counsellor's search
// of the directory for this seeker, the referral card sent into the chat,
// the record of each referral, and the warm referral the seeker consents to
// on their own page.
//
// # What it owns
//
//   - Referral records (Store): conversation, service, time, counsellor,
//     a snapshot of the service's name, the anonymous referral code, the
//     warm-referral state and the outbox row it led to. They are deleted
//     with the conversation (PostgreSQL: ON DELETE CASCADE on
//     conversations; memory: chat.MemoryStore.OnForget). The daily counts
//     (cards sent, warm referrals offered, consented, withdrawn, contact
//     made) are anonymous and kept.
//   - The card: a message of kind "referral" (KindReferral), stored and
//     sequenced by chat through chat.Service.SendStaffMessage, whose body
//     is plain text in the seeker's language (name, what it offers, how to
//     contact it, hours), readable as it is without JavaScript.
//   - Consent: a warm referral is offered by the counsellor, shown to the
//     seeker exactly as it would be sent (a referral_offer push, and
//     Service.ForSeeker over HTTP), and only the seeker's own "yes, send
//     this" (Service.Consent, seeker principal only) writes the outbox row,
//     in the same transaction as the referral's state. Before delivery the
//     seeker may withdraw. Nothing leaves the service otherwise.
//   - Status frames (referral_status) to the counsellor and supervisors,
//     and the referral.Alerts the deliverer calls.
//
// # Who calls it
//
// web (the endpoints of chat/PROTOCOL.md "Referrals"), and the server
// wiring, which hands it the chat through the Chat interface (satisfied by
// *chat.Service), the directory store, the outbox store and the deliverer.
// A partner is the directory service of the same id: a warm referral to a
// service goes to the partner whose id is the service's id.
//
// # Concurrency
//
// Service, MemoryStore and PostgresStore are safe for concurrent use.
// Every action is idempotent: a card is named by the counsellor's client
// id, so a retry sends one card; consent, decline and withdraw move the
// state only from the state they expect, and a repeat answers as the first.
// Time comes only from Config.Now.
package refer
