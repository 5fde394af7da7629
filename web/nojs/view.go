package nojs

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"helpline/chat"
)

// tr translates into one language, for the templates: {{.L.T "key"}} or
// {{.L.T "key" "name" value …}} for a text with {name} in it.
type tr struct {
	texts Texts
	lang  string
}

// T returns key's text with each {name} replaced by the value after it.
func (t tr) T(key string, args ...any) string {
	s := t.texts.Text(t.lang, key)
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return s
}

// langLink is one entry of the language switcher.
type langLink struct {
	Code, Name string
	Current    bool
}

// msgView is one message as the page shows it.
type msgView struct {
	Seq    int64
	Sender string // seeker, counselor, system
	Kind   string
	Who    string
	Body   string
	Own    bool
	System bool
}

// view is everything a page may show; each template uses its part.
type view struct {
	L         tr
	Lang      string
	Dir       string
	Languages []langLink
	Here      string // this page's path, for the language links
	// Conversation pages.
	CSRF         string
	Handback     bool // the upgrade script may hand the credential to the live page
	Status       string
	StatusText   string
	Messages     []msgView
	Wait         *chat.Wait
	Place        string
	Estimate     string
	WaitNote     string
	Articles     []Article
	Draft        string
	Identify     string // "this might identify you…": the send is held until confirmed
	ClientID     string
	Error        string
	Refresh      int  // seconds; 0: the page does not reload itself
	UpdatesOff   bool // the seeker stopped the frame's reload (updates.go)
	ClosingText  string
	Notice       string
	Closed       closedView
	Confirm      confirmView
	RetentionMsg string
	Audiences    []string
	Young        bool // waiting, and said they are under 18
	MaxChars     int
	// Warm referrals (referral.go), feedback (feedback.go), the flood
	// waiting step (flood.go).
	Referrals      []referralLine
	Referral       referralView
	Feedback       feedbackView
	feedbackFailed *feedbackView
	Flood          floodView
}

type closedView struct{ Reason, Next string }

// confirmView is a yes/no page: ending or deleting.
type confirmView struct {
	Heading, Question, Yes, No, Action, Back, Error string
}

func (h *Handler) view(w http.ResponseWriter, r *http.Request, here string) view {
	lang := h.language(w, r)
	v := view{L: tr{h.cfg.Texts, lang}, Lang: lang, Here: here, MaxChars: chat.MaxBodyChars, UpdatesOff: h.updatesOff(w, r)}
	v.Dir = v.L.T("common.dir")
	if v.Dir != "rtl" {
		v.Dir = "ltr"
	}
	for _, code := range h.cfg.Texts.Codes() {
		v.Languages = append(v.Languages, langLink{Code: code, Name: h.cfg.Texts.Name(code), Current: code == lang})
	}
	for _, a := range chat.Audiences {
		v.Audiences = append(v.Audiences, string(a))
	}
	return v
}

// render writes a page, buffered so that a template error is a clean 500.
func (h *Handler) render(w http.ResponseWriter, status int, page string, v view) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		h.cfg.Log.Error("drawing a page without JavaScript failed", "page", page, "error", err)
		http.Error(w, "something went wrong on our side", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// messages turns stored messages into what the page shows: text as text,
// system events in words, and any other kind (a referral card, say) by its
// stored body, as plain escaped text.
func (v view) messages(ms []chat.Message) []msgView {
	out := make([]msgView, 0, len(ms))
	for _, m := range ms {
		mv := msgView{Seq: m.Seq, Sender: string(m.Sender), Kind: m.Kind, Body: m.Body, Own: m.Sender == chat.SenderSeeker}
		switch {
		case m.Sender == chat.SenderSystem:
			mv.System = true
			if text, ok := v.systemText(m); ok {
				mv.Body = text
			}
		case m.Sender == chat.SenderSeeker:
			mv.Who = v.L.T("chat.you")
		case m.Name != "":
			mv.Who = m.Name
		default:
			mv.Who = v.L.T("chat.counselor")
		}
		out = append(out, mv)
	}
	return out
}

// systemText words a system event as the JavaScript page does.
func (v view) systemText(m chat.Message) (string, bool) {
	switch m.Kind {
	case chat.KindJoined, chat.KindTransferred:
		key := "chat.system_" + m.Kind
		if m.Name == "" {
			return v.L.T(key + "_unnamed"), true
		}
		return v.L.T(key, "name", m.Name), true
	case chat.KindRequeued:
		if m.Body == chat.RequeueTransferred {
			return v.L.T("chat.system_requeued_transferred"), true
		}
		return v.L.T("chat.system_requeued_counselor_left"), true
	case chat.KindEnded:
		return v.L.T("chat.system_ended_" + endedKey(m.Body)), true
	}
	return "", false
}

func endedKey(by string) string {
	switch by {
	case chat.EndedBySeeker, chat.EndedByCounselor, chat.EndedByLeft, chat.EndedByAbandoned, chat.EndedByBlocked, chat.EndedBySystem:
		return by
	}
	return chat.EndedBySystem
}

// status words the conversation's state, as the JavaScript page's status line.
func (v *view) status(c chat.Conversation) {
	v.Status = string(c.Status)
	switch {
	case c.Status == chat.StatusWaiting:
		v.StatusText = v.L.T("chat.status_waiting")
	case c.Status == chat.StatusActive && c.CounselorName != "":
		v.StatusText = v.L.T("chat.status_active", "name", c.CounselorName)
	case c.Status == chat.StatusActive:
		v.StatusText = v.L.T("chat.status_active_unnamed")
	default:
		v.StatusText = v.L.T("chat.status_ended")
	}
}

// place words a waiting seeker's place and estimate (PROTOCOL.md `position`).
func (v *view) place(w *chat.Wait) {
	v.Wait = w
	if w == nil {
		return
	}
	if w.Position > 1 {
		v.Place = v.L.T("chat.position", "position", w.Position)
	} else {
		v.Place = v.L.T("chat.position_next")
	}
	low, high := max(w.LowMinutes, 1), w.HighMinutes
	switch {
	case !w.Known:
		v.Estimate = v.L.T("chat.estimate_unknown")
	case high <= 1:
		v.Estimate = v.L.T("chat.estimate_soon")
	case low == high:
		v.Estimate = v.L.T("chat.estimate_about", "minutes", high)
	default:
		v.Estimate = v.L.T("chat.estimate_range", "low", low, "high", high)
	}
	switch {
	case w.NoneOnShift:
		v.WaitNote = v.L.T("chat.none_on_shift")
	case w.NoneSuitable:
		v.WaitNote = v.L.T("chat.none_suitable")
	case w.LanguageFallback:
		v.WaitNote = v.L.T("chat.language_fallback")
	}
}

// closing words the end, by who ended it.
func (v *view) closing(c chat.Conversation) {
	switch c.EndedBy {
	case chat.EndedBySeeker, chat.EndedByCounselor, chat.EndedByBlocked:
		v.ClosingText = v.L.T("chat.closing_" + c.EndedBy)
	default:
		v.ClosingText = v.L.T("chat.closing_other")
	}
}

// errorText is what a person reads for a failed action.
func (v view) errorText(err error) string {
	return v.L.T("error." + string(chat.ErrorCode(err)))
}
