// Package nojs is the help-seeker's journey for browsers that run no
// JavaScript (Tor Browser at "Safest", careful people, old phones): the
// introduction and the limits of confidentiality, the pre-chat questions,
// waiting with a place, an estimate and reading, the chat itself, its end,
// "delete this conversation" and quick exit, a warm referral's consent
// (what would be sent and to whom, the choice, "Yes, send this", and
// withdrawing), the optional feedback after the end, and the flood waiting
// step (a ticket that matures while the page reloads itself), all as HTML drawn on the
// server with html/template from the same translation tables as the
// JavaScript page (web/i18n).
//
// What it owns: the routes under /nojs/ (chat/PROTOCOL.md "Pages without
// JavaScript"), the seeker cookie that carries the credential on this path
// only, the anti-forgery tokens of its forms, and the hand-over of the
// credential between this path and the live page (POST /nojs/handover from
// the JavaScript page, POST /nojs/handback to it).
//
// What it does not own: any rule about conversations. Every action is a
// chat.Service use case taken through the Chat interface declared here
// (StartConversation, Send, End, Leave, Delete, and SeekerState for what a
// page shows), so a message sent from here gets the same sequence number,
// idempotency by client id and limits as one sent over the socket; warm
// referrals go through refer.Service (Referrals), feedback through
// feedback.Service (Feedback), the waiting step through flood.Service
// (Flood): the very calls the live page makes.
//
// Who may call it: package web registers its routes (web/nojs.go) and hands
// it the chat service, the translations and the start limiter; nothing else.
//
// Concurrency: a Handler is immutable once built and serves any number of
// requests at once; it keeps no state between requests (everything a page
// needs is in the cookie or the store), so any instance can answer any
// request.
package nojs
