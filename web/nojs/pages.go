package nojs

import (
	"errors"
	"net/http"
	"strings"

	"helpline/chat"
	"helpline/chat/flood"
)

// intro is the first page: what this is, what happens to what you write,
// the limits of confidentiality. Someone whose browser holds a conversation
// goes straight back to it.
func (h *Handler) intro(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if cred := credential(r); cred != "" {
		if _, _, err := h.cfg.Chat.SeekerExpiry(cred); err == nil {
			redirect(w, r, "/nojs/chat")
			return
		}
		h.clearCookie(w, r, seekerCookie, "/")
	}
	v := h.view(w, r, "/nojs/")
	switch n := r.URL.Query().Get("notice"); n {
	case "deleted", "expired":
		v.Notice = v.L.T("intro." + n)
	}
	if h.cfg.RetentionDays > 0 {
		v.RetentionMsg = v.L.T("intro.kept", "days", h.cfg.RetentionDays)
	} else {
		v.RetentionMsg = v.L.T("intro.kept_unknown")
	}
	h.render(w, http.StatusOK, "intro", v)
}

// prechat asks the optional questions, or shows the alternatives when no
// conversation can start now.
func (h *Handler) prechat(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if cred := credential(r); cred != "" {
		if _, _, err := h.cfg.Chat.SeekerExpiry(cred); err == nil {
			redirect(w, r, "/nojs/chat")
			return
		}
	}
	v := h.view(w, r, "/nojs/start")
	if err := h.cfg.Chat.Admit(r.Context()); err != nil {
		h.renderClosed(w, v, err)
		return
	}
	if !h.waitingStep(w, r, &v, http.StatusOK, false) {
		return
	}
	h.renderPrechat(w, r, v, http.StatusOK)
}

func (h *Handler) renderPrechat(w http.ResponseWriter, r *http.Request, v view, status int) {
	v.CSRF = randomToken()
	h.setCookie(w, r, formCookie, v.CSRF, "/nojs/")
	h.render(w, status, "prechat", v)
}

// renderClosed shows the alternatives for a closed service; other errors
// are said as they are.
func (h *Handler) renderClosed(w http.ResponseWriter, v view, err error) {
	var closed *chat.ClosedError
	if !errors.As(err, &closed) {
		h.renderProblem(w, v, err, "/nojs/start")
		return
	}
	reason := closed.Reason
	if reason != "hours" && reason != "queue_full" && reason != "paused" {
		reason = "no_counselor"
	}
	v.Closed.Reason = v.L.T("closed." + reason)
	if (reason == "hours" || reason == "paused") && !closed.NextOpen.IsZero() {
		key := map[string]string{"hours": "closed.hours_next", "paused": "closed.paused_until"}[reason]
		v.Closed.Next = v.L.T(key, "when", closed.NextOpen.UTC().Format("2006-01-02 15:04 UTC"))
	}
	h.render(w, http.StatusOK, "closed", v)
}

// renderProblem says that something failed, with a way to try again.
func (h *Handler) renderProblem(w http.ResponseWriter, v view, err error, again string) {
	v.Confirm = confirmView{Heading: v.errorText(err), Back: again, No: v.L.T("common.retry")}
	h.render(w, h.cfg.ErrorStatus(w, err), "confirm", v)
}

// start opens the conversation from the pre-chat form and gives the
// browser its credential in the seeker cookie.
func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v := h.view(w, r, "/nojs/start")
	c, err := r.Cookie(formCookie)
	if !readForm(w, r) || err != nil || !sameToken(r.PostForm.Get("csrf"), c.Value) {
		v.Error = v.L.T("nojs.forged")
		h.renderPrechat(w, r, v, http.StatusForbidden)
		return
	}
	if cred := credential(r); cred != "" {
		if _, _, err := h.cfg.Chat.SeekerExpiry(cred); err == nil {
			redirect(w, r, "/nojs/chat") // the form sent twice: one conversation is enough
			return
		}
	}
	if h.cfg.AllowStart != nil && !h.cfg.AllowStart(r) {
		w.Header().Set("Retry-After", "10")
		v.Error = v.L.T("error.rate_limited")
		h.renderPrechat(w, r, v, http.StatusTooManyRequests)
		return
	}
	n := chat.NewConversation{Audience: chat.Audience(r.PostForm.Get("audience")), Language: r.PostForm.Get("language"),
		Region: strings.TrimSpace(r.PostForm.Get("region"))}
	err = nil
	if pause, perr := r.Cookie(pauseCookie); perr == nil {
		err = h.cfg.Chat.CheckPause(pause.Value)
	}
	if err == nil && h.cfg.Flood != nil {
		if err = h.cfg.Flood.CheckStart(r.Context(), ticket(r)); errors.Is(err, flood.ErrNeeded) || errors.Is(err, flood.ErrSpent) {
			v.Error = v.L.T("flood.start_refused")
			if h.waitingStep(w, r, &v, http.StatusTooManyRequests, errors.Is(err, flood.ErrSpent)) {
				h.renderPrechat(w, r, v, http.StatusTooManyRequests)
			}
			return
		}
	}
	var token string
	if err == nil {
		_, token, _, err = h.cfg.Chat.StartConversation(r.Context(), n)
	}
	var closed *chat.ClosedError
	switch {
	case errors.As(err, &closed):
		h.renderClosed(w, v, err)
		return
	case err != nil:
		v.Error = v.errorText(err)
		h.renderPrechat(w, r, v, h.cfg.ErrorStatus(w, err))
		return
	}
	h.setCookie(w, r, seekerCookie, token, "/")
	h.clearCookie(w, r, formCookie, "/nojs/")
	if h.cfg.Flood != nil {
		h.clearCookie(w, r, ticketCookie, "/nojs/")
	}
	redirect(w, r, "/nojs/chat")
}

// state reads the cookie's conversation for a page. ok false: the answer
// is written (back to the introduction when the credential is gone, or a
// problem page).
func (h *Handler) state(w http.ResponseWriter, r *http.Request, v view) (string, chat.Principal, chat.SeekerState, bool) {
	cred := credential(r)
	if cred == "" {
		redirect(w, r, "/nojs/")
		return "", chat.Principal{}, chat.SeekerState{}, false
	}
	p, st, err := h.cfg.Chat.SeekerState(r.Context(), cred)
	switch code := chat.ErrorCode(err); {
	case err == nil && st.Conversation.EndedBy == chat.EndedByLeft:
		// Left by quick exit (perhaps on the JavaScript page): nothing of
		// it is shown again in this browser.
		h.clearCookie(w, r, seekerCookie, "/")
		redirect(w, r, "/nojs/")
	case code == chat.CodeUnauthorized || code == chat.CodeNotFound:
		h.clearCookie(w, r, seekerCookie, "/")
		redirect(w, r, "/nojs/?notice=expired")
	case err != nil:
		h.renderProblem(w, v, err, "/nojs/chat")
	default:
		return cred, p, st, true
	}
	return "", chat.Principal{}, chat.SeekerState{}, false
}

// chatPage is the conversation: messages in a frame that reloads itself,
// the send form, reading while waiting; or, once ended, the closing page.
func (h *Handler) chatPage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v := h.view(w, r, "/nojs/chat")
	cred, _, st, ok := h.state(w, r, v)
	if !ok {
		return
	}
	if st.Conversation.Status == chat.StatusEnded && st.Conversation.EndedBy == chat.EndedByBlocked {
		h.keepPause(w, r, cred)
	}
	h.renderChat(w, r, cred, st, v, http.StatusOK)
}

func (h *Handler) renderChat(w http.ResponseWriter, r *http.Request, cred string, st chat.SeekerState, v view, status int) {
	v.CSRF, v.Handback = formToken(cred), true
	v.status(st.Conversation)
	v.Messages = v.messages(st.Messages)
	if p, err := h.seeker(r, cred); err == nil {
		h.warmReferrals(r.Context(), p, &v)
	}
	if st.Conversation.Status == chat.StatusEnded {
		v.closing(st.Conversation)
		h.offerFeedback(&v, r.URL.Query().Get("feedback") == "sent")
		if f := v.feedbackFailed; f != nil && v.Feedback.On {
			v.Feedback.Error, v.Feedback.Comment = f.Error, f.Comment
		}
		h.render(w, status, "ended", v)
		return
	}
	if v.ClientID == "" {
		v.ClientID = randomToken()
	}
	if st.Conversation.Status == chat.StatusWaiting {
		v.Articles = h.cfg.SelfHelp(v.Lang)
		v.Young = st.Conversation.Audience == chat.AudienceYoung
	}
	h.render(w, status, "chat", v)
}

// log is the frame inside the chat page: the state, the place while
// waiting and the messages, reloading itself every few seconds until the
// conversation ends (PROTOCOL.md "Pages without JavaScript" says why a
// reload rather than a stream).
func (h *Handler) log(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	// The one page that may be framed, and only by this site's own pages.
	hd := w.Header()
	hd.Set("Content-Security-Policy", strings.Replace(hd.Get("Content-Security-Policy"), "frame-ancestors 'none'", "frame-ancestors 'self'", 1))
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	v := h.view(w, r, "/nojs/log")
	cred := credential(r)
	_, st, err := h.cfg.Chat.SeekerState(r.Context(), cred)
	if err != nil || cred == "" || st.Conversation.EndedBy == chat.EndedByLeft {
		if err == nil || chat.ErrorCode(err) != chat.CodeUnavailable {
			err = chat.Errorf(chat.CodeUnauthorized, "no conversation")
		} else if !v.UpdatesOff {
			v.Refresh = int(h.cfg.Refresh.Seconds())
		}
		v.Error = v.errorText(err)
		h.render(w, http.StatusOK, "log", v)
		return
	}
	v.status(st.Conversation)
	v.place(st.Wait)
	v.Messages = v.messages(st.Messages)
	if p, err := h.seeker(r, cred); err == nil {
		h.warmReferrals(r.Context(), p, &v)
	}
	if st.Conversation.Status != chat.StatusEnded && !v.UpdatesOff {
		v.Refresh = max(1, int(h.cfg.Refresh.Seconds()))
	}
	h.render(w, http.StatusOK, "log", v)
}

// keepPause gives this browser the pause marker of a conversation the team
// ended as blocked, as a cookie that lasts as long as the pause (nothing of
// it is kept on the server; quick exit drops it with the rest).
func (h *Handler) keepPause(w http.ResponseWriter, r *http.Request, cred string) {
	marker, until, err := h.cfg.Chat.PauseMarker(r.Context(), cred)
	if err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: pauseCookie, Value: marker, Path: "/nojs/", Expires: until, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
}
