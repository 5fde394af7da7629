package nojs

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"helpline/chat"
	"helpline/counselors/feedback"
)

// Feedback is what the closing page asks of seekers' anonymous feedback:
// the very use case of the live page (counselors/feedback.Service), so an
// answer posted here is stored exactly as one sent there (the ISO week and
// the language; no conversation, no counsellor).
type Feedback interface {
	Submit(ctx context.Context, p chat.Principal, a feedback.Answer) error
}

// feedbackView is the optional questions on the closing page.
type feedbackView struct {
	On, Sent         bool
	Helpful, Feeling []int
	Hint, Error      string
	Comment          string
	MaxChars         int
}

func (h *Handler) feedbackRoutes(mux *http.ServeMux) {
	if h.cfg.Feedback != nil {
		mux.HandleFunc("POST /nojs/feedback", h.submitFeedback)
	}
}

// offerFeedback fills the questions of the closing page (sent: the seeker
// has just answered, so it says thank you instead).
func (h *Handler) offerFeedback(v *view, sent bool) {
	if h.cfg.Feedback == nil {
		return
	}
	days := h.cfg.RetentionDays
	if days <= 0 {
		days = 30
	}
	v.Feedback = feedbackView{On: true, Sent: sent, Helpful: []int{1, 2, 3, 4}, Feeling: []int{1, 2, 3, 4, 5},
		Hint: v.L.T("feedback.comment_hint", "days", days), MaxChars: feedback.MaxCommentChars}
}

// submitFeedback stores the answers through feedback.Service.Submit and
// goes back to the closing page, which then thanks; a failure draws the
// closing page again with the answers' text kept.
func (h *Handler) submitFeedback(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v := h.view(w, r, "/nojs/chat")
	cred, ok := h.conversationForm(w, r, v)
	if !ok {
		return
	}
	a := feedback.Answer{Helpful: formNumber(r.PostForm.Get("helpful")), Feeling: formNumber(r.PostForm.Get("feeling")),
		Comment: strings.ReplaceAll(r.PostForm.Get("comment"), "\r\n", "\n")}
	p, err := h.seeker(r, cred)
	if err == nil {
		err = h.cfg.Feedback.Submit(r.Context(), p, a)
	}
	if err == nil {
		redirect(w, r, "/nojs/chat?feedback=sent")
		return
	}
	_, st, serr := h.cfg.Chat.SeekerState(r.Context(), cred)
	if serr != nil {
		h.renderProblem(w, v, err, "/nojs/chat")
		return
	}
	v.feedbackFailed = &feedbackView{Error: v.L.T("feedback.failed"), Comment: a.Comment}
	h.renderChat(w, r, cred, st, v, h.cfg.ErrorStatus(w, err))
}

// formNumber reads an optional answer: empty is "not answered" (0),
// anything not a number -1, which Validate refuses.
func formNumber(s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
