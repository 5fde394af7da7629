// Package counselors owns staff accounts (counsellors, supervisors, admins):
// creating them, passwords (argon2id), sign-in and sign-out, revocable
// sign-in sessions, and the append-only audit log of what staff do. It
// implements chat.StaffDirectory so that the chat core can check, at any
// moment, that a staff token still stands for an enabled account.
//
// All types are safe for concurrent use.
package counselors
