package nojs

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"helpline/chat"
	"helpline/web/identifying"
)

// conversationForm checks a posted form of a conversation: a form, from
// this site, carrying the credential's anti-forgery token. ok false: the
// answer is written.
func (h *Handler) conversationForm(w http.ResponseWriter, r *http.Request, v view) (string, bool) {
	if !readForm(w, r) {
		v.Confirm = confirmView{Heading: v.L.T("nojs.forged"), Back: "/nojs/chat", No: v.L.T("common.retry")}
		h.render(w, http.StatusForbidden, "confirm", v)
		return "", false
	}
	cred := credential(r)
	if cred == "" {
		redirect(w, r, "/nojs/?notice=expired")
		return "", false
	}
	if !sameToken(r.PostForm.Get("csrf"), formToken(cred)) {
		v.Confirm = confirmView{Heading: v.L.T("nojs.forged"), Back: "/nojs/chat", No: v.L.T("common.retry")}
		h.render(w, http.StatusForbidden, "confirm", v)
		return "", false
	}
	return cred, true
}

// seeker is the principal of a seeker credential.
func (h *Handler) seeker(r *http.Request, cred string) (chat.Principal, error) {
	p, _, err := h.cfg.Chat.Authenticate(r.Context(), cred)
	if err == nil && p.Role != chat.RoleSeeker {
		err = chat.Errorf(chat.CodeUnauthorized, "not a seeker credential")
	}
	return p, err
}

// send stores the seeker's message through chat.Service.Send, idempotent
// by the form's client id. On success the browser is sent back to the
// chat (303); on failure the chat is drawn again with the text still in
// the box and the same client id, so sending again stores it once.
func (h *Handler) send(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v := h.view(w, r, "/nojs/chat")
	cred, ok := h.conversationForm(w, r, v)
	if !ok {
		return
	}
	body := strings.ReplaceAll(r.PostForm.Get("body"), "\r\n", "\n")
	clientID := r.PostForm.Get("client_id")
	if strings.TrimSpace(body) == "" {
		redirect(w, r, "/nojs/chat")
		return
	}
	err := chat.CheckSend(clientID, body)
	var p chat.Principal
	var st chat.SeekerState
	if err == nil {
		p, err = h.seeker(r, cred)
	}
	if err == nil && r.PostForm.Get("identify_ok") != "1" {
		if kinds := identifying.Kinds(body); len(kinds) > 0 {
			h.askBeforeSending(w, r, v, cred, clientID, body, kinds)
			return
		}
	}
	if err == nil {
		err = h.cfg.Chat.Send(r.Context(), p, chat.StaffInfo{}, p.ConversationID, clientID, body).Err
	}
	if err == nil {
		redirect(w, r, "/nojs/chat")
		return
	}
	if code := chat.ErrorCode(err); code == chat.CodeUnauthorized || code == chat.CodeNotFound {
		h.clearCookie(w, r, seekerCookie, "/")
		redirect(w, r, "/nojs/?notice=expired")
		return
	}
	status := h.cfg.ErrorStatus(w, err)
	v.Draft, v.Error = body, v.L.T("common.send_failed")+" "+v.errorText(err)
	if utf8.ValidString(clientID) && chat.CheckClientID(clientID) == nil {
		v.ClientID = clientID
	}
	if st.Conversation.ID == "" {
		_, st, _ = h.cfg.Chat.SeekerState(r.Context(), cred)
	}
	if st.Conversation.ID == "" { // the store is away: the draft still comes back
		st.Conversation.Status = chat.StatusActive
	}
	h.renderChat(w, r, cred, st, v, status)
}

// confirmEnd and confirmDelete ask first, as the JavaScript page does.
func (h *Handler) confirmEnd(w http.ResponseWriter, r *http.Request) {
	h.confirm(w, r, confirmView{Question: "chat.end_confirm", Yes: "chat.end_yes", No: "chat.end_no", Action: "/nojs/end"})
}

func (h *Handler) confirmDelete(w http.ResponseWriter, r *http.Request) {
	h.confirm(w, r, confirmView{Question: "chat.delete_confirm", Yes: "chat.delete_yes", No: "chat.delete_no", Action: "/nojs/delete"})
}

func (h *Handler) confirm(w http.ResponseWriter, r *http.Request, c confirmView) {
	noStore(w)
	v := h.view(w, r, c.Action)
	cred := credential(r)
	if cred == "" {
		redirect(w, r, "/nojs/")
		return
	}
	v.CSRF, v.Handback = formToken(cred), true
	v.Confirm = confirmView{Question: v.L.T(c.Question), Yes: v.L.T(c.Yes), No: v.L.T(c.No), Action: c.Action, Back: "/nojs/chat"}
	h.render(w, http.StatusOK, "confirm", v)
}

// end ends the conversation as the seeker (chat.Service.End).
func (h *Handler) end(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v := h.view(w, r, "/nojs/end")
	cred, ok := h.conversationForm(w, r, v)
	if !ok {
		return
	}
	p, err := h.seeker(r, cred)
	if err == nil {
		err = h.cfg.Chat.End(r.Context(), p, p.ConversationID, "")
	}
	if err != nil && chat.ErrorCode(err) != chat.CodeConflict {
		h.renderProblem(w, v, err, "/nojs/end")
		return
	}
	redirect(w, r, "/nojs/chat")
}

// deleteConversation is "delete this conversation" (chat.Service.Delete);
// the cookie goes with it.
func (h *Handler) deleteConversation(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v := h.view(w, r, "/nojs/delete")
	cred, ok := h.conversationForm(w, r, v)
	if !ok {
		return
	}
	err := h.cfg.Chat.Delete(r.Context(), cred)
	if code := chat.ErrorCode(err); err != nil && code != chat.CodeUnauthorized && code != chat.CodeNotFound {
		h.renderProblem(w, v, err, "/nojs/delete")
		return
	}
	h.clearCookie(w, r, seekerCookie, "/")
	redirect(w, r, "/nojs/?notice=deleted")
}

// newConversation forgets the ended conversation in this browser and goes
// to the pre-chat questions.
func (h *Handler) newConversation(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v := h.view(w, r, "/nojs/chat")
	if _, ok := h.conversationForm(w, r, v); !ok {
		return
	}
	h.clearCookie(w, r, seekerCookie, "/")
	redirect(w, r, "/nojs/start")
}

// quickExit is a plain link: it ends the conversation as "left", drops
// this site's cookies and storage, and sends the browser to the neutral
// page. A GET, so that it works as a link; the seeker cookie is
// SameSite=Strict, so another site cannot make a browser follow it with
// the credential.
func (h *Handler) quickExit(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if cred := credential(r); cred != "" {
		if err := h.cfg.Chat.Leave(r.Context(), cred); err != nil && chat.ErrorCode(err) != chat.CodeUnauthorized {
			h.cfg.Log.Warn("quick exit could not end the conversation", "code", chat.ErrorCode(err))
		}
	}
	h.clearCookie(w, r, seekerCookie, "/")
	h.clearCookie(w, r, formCookie, "/nojs/")
	h.clearCookie(w, r, langCookie, "/nojs/")
	h.clearCookie(w, r, updatesCookie, "/nojs/")
	h.clearCookie(w, r, ticketCookie, "/nojs/")
	// Also what the JavaScript page kept in localStorage, where browsers
	// honour it (secure contexts).
	w.Header().Set("Clear-Site-Data", `"cookies", "storage"`)
	to := h.cfg.ExitURL
	if !strings.HasPrefix(to, "https://") && !strings.HasPrefix(to, "http://") {
		to = "https://www.google.com/"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// jsonRequest reads a small JSON body from a same-site script: the
// Content-Type a cross-site form cannot send without asking first (CORS).
func jsonRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || crossSite(r) {
		writeJSONError(w, http.StatusForbidden, chat.CodeInvalid, "send JSON from this site's own page")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 8<<10))
	if err == nil && !utf8.Valid(body) {
		err = io.ErrUnexpectedEOF
	}
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(v)
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, chat.CodeInvalid, "malformed request body")
		return false
	}
	return true
}

func writeJSONError(w http.ResponseWriter, status int, code chat.Code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": string(code), "message": msg}})
}

// handover is the live page handing its credential to this path: it
// stores it in the seeker cookie, so that the same browser with JavaScript
// off finds its conversation.
func (h *Handler) handover(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var req struct {
		Token string `json:"token"`
	}
	if !jsonRequest(w, r, &req) {
		return
	}
	if _, _, err := h.cfg.Chat.SeekerExpiry(req.Token); err != nil {
		writeJSONError(w, http.StatusUnauthorized, chat.CodeUnauthorized, "credential is invalid or expired")
		return
	}
	h.setCookie(w, r, seekerCookie, req.Token, "/")
	w.WriteHeader(http.StatusNoContent)
}

// handback gives the credential in the cookie to the live page, when
// JavaScript runs again: the page proves it is this site's own by the
// anti-forgery token drawn into it.
func (h *Handler) handback(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var req struct {
		CSRF string `json:"csrf"`
	}
	if !jsonRequest(w, r, &req) {
		return
	}
	cred := credential(r)
	if cred == "" || !sameToken(req.CSRF, formToken(cred)) {
		writeJSONError(w, http.StatusForbidden, chat.CodeUnauthorized, "no conversation to hand back")
		return
	}
	id, exp, err := h.cfg.Chat.SeekerExpiry(cred)
	if err != nil {
		writeJSONError(w, http.StatusUnauthorized, chat.CodeUnauthorized, "credential is invalid or expired")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]string{"conversation_id": id, "token": cred, "expires_at": exp.UTC().Format(time.RFC3339)})
}

// resume tells the live page, opened afresh in a browser whose cookie holds
// a conversation (started here, then JavaScript came on), the token to ask
// handback with: 200 {"csrf"}, or 204 when there is no conversation to
// resume. Only this site's own script can read the answer.
func (h *Handler) resume(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var req struct{}
	if !jsonRequest(w, r, &req) {
		return
	}
	cred := credential(r)
	if cred == "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	_, st, err := h.cfg.Chat.SeekerState(r.Context(), cred)
	if err != nil || st.Conversation.EndedBy == chat.EndedByLeft {
		if code := chat.ErrorCode(err); err == nil || code == chat.CodeUnauthorized || code == chat.CodeNotFound {
			h.clearCookie(w, r, seekerCookie, "/")
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]string{"csrf": formToken(cred)})
}

// forget drops the seeker cookie (the live page starting afresh, deleting,
// or leaving by quick exit).
func (h *Handler) forget(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var req struct{}
	if !jsonRequest(w, r, &req) {
		return
	}
	h.clearCookie(w, r, seekerCookie, "/")
	w.WriteHeader(http.StatusNoContent)
}

// askBeforeSending holds a message that looks like it could identify
// someone (web/identifying) and asks, as the JavaScript page does: the same
// text and client id come back with "send anyway"; editing it is asking again.
func (h *Handler) askBeforeSending(w http.ResponseWriter, r *http.Request, v view, cred, clientID, body string, kinds []string) {
	what := make([]string, len(kinds))
	for i, k := range kinds {
		what[i] = v.L.T("identify.kind_" + k)
	}
	v.Draft, v.ClientID = body, clientID
	v.Identify = v.L.T("identify.warning", "what", strings.Join(what, ", "))
	_, st, err := h.cfg.Chat.SeekerState(r.Context(), cred)
	if err != nil {
		h.renderProblem(w, v, err, "/nojs/chat")
		return
	}
	h.renderChat(w, r, cred, st, v, http.StatusOK)
}
