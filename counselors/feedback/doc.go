// Package feedback owns seekers' anonymous feedback: after a conversation
// has ended its seeker may say, once, whether it helped (1–4), how they
// feel now compared to before (1–5, much worse to much better) and add a
// few words (at most MaxCommentChars characters). Every answer is
// optional.
//
// What is kept is deliberately less than what is known. An answer is stored
// with the ISO week it was given in and the conversation's language only:
// no conversation id, no counsellor, no time of day. The comment is sealed
// under HELPLINE_ENCRYPTION_KEYS (chat.SealedColumns lists
// feedback_comments.body), kept in a table of its own so that no row ties
// it to the scores, and deleted after the retention period
// (DeleteExpired). The only link to the conversation is a mark that it has
// answered, which holds no answer and goes with the conversation (ON
// DELETE CASCADE on PostgreSQL, Forget on the memory store); it makes
// Submit idempotent: a second submission for the same conversation stores
// nothing and succeeds.
//
// Who calls it: web, for the seeker-authenticated endpoints (JSON and a
// plain form post for the page without JavaScript), and the transparency
// report (counselors/transparency), which reads Counts only: never the
// comments. Comments are read by admins only, through Comments, and each
// read is audited by the caller.
//
// Concurrency: Service and both stores are safe for concurrent use.
package feedback
