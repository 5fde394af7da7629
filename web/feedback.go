package web

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"helpline/chat"
	"helpline/counselors/feedback"
)

// Seekers' anonymous feedback after a conversation has ended (see
// counselors/feedback and PROTOCOL.md "Seeker feedback").
//
//	POST /api/seeker/feedback  JSON {"token", "helpful", "feeling", "comment"} → 204
//	POST /seeker/feedback      form fields token, helpful, feeling, comment,
//	                           lang → 200 with a small thank-you page (HTML)
//
// The form variant is for the page that works without JavaScript: any
// page may post a plain <form method="post" action="/seeker/feedback">
// with the seeker's credential in a hidden "token" field.

// FeedbackService is what web needs of counselors/feedback.
type FeedbackService interface {
	Submit(ctx context.Context, p chat.Principal, a feedback.Answer) error
}

func (h *handler) feedbackRoutes(mux *http.ServeMux) {
	if h.cfg.Feedback == nil {
		return
	}
	mux.HandleFunc("POST /api/seeker/feedback", h.feedbackJSON)
	mux.HandleFunc("POST /seeker/feedback", h.feedbackForm)
}

func (h *handler) feedbackJSON(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token   string `json:"token"`
		Helpful int    `json:"helpful"`
		Feeling int    `json:"feeling"`
		Comment string `json:"comment"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := h.submitFeedback(r, req.Token, feedback.Answer{Helpful: req.Helpful, Feeling: req.Feeling, Comment: req.Comment}); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) submitFeedback(r *http.Request, token string, a feedback.Answer) error {
	p, _, err := h.cfg.Chat.Authenticate(r.Context(), token)
	if err != nil || p.Role != chat.RoleSeeker {
		return chat.Errorf(chat.CodeUnauthorized, "this conversation's credential is missing or has expired")
	}
	return h.cfg.Feedback.Submit(r.Context(), p, a)
}

// feedbackForm takes the same answers as a plain form post and answers
// with a page, in the seeker's language, that says thank you (or what was
// wrong) and links back to the start.
func (h *handler) feedbackForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	lang := r.URL.Query().Get("lang")
	err := r.ParseForm()
	if err == nil {
		if l := r.PostForm.Get("lang"); l != "" {
			lang = l
		}
		a := feedback.Answer{Helpful: formInt(r.PostForm.Get("helpful")), Feeling: formInt(r.PostForm.Get("feeling")),
			Comment: r.PostForm.Get("comment")}
		err = h.submitFeedback(r, r.PostForm.Get("token"), a)
	} else {
		err = chat.Errorf(chat.CodeInvalid, "the form could not be read")
	}
	status, key := http.StatusOK, "feedback.thanks"
	if err != nil {
		status, key = httpStatus(chat.ErrorCode(err)), "feedback.form_error"
	}
	h.feedbackPage(w, status, lang, key)
}

// formInt reads an optional number of a form; anything else is -1, which
// Validate refuses.
func formInt(s string) int {
	if strings.TrimSpace(s) == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return -1
	}
	return n
}

var feedbackPageTemplate = template.Must(template.New("feedback").Parse(`<!doctype html>
<html lang="{{.Lang}}" dir="{{.Dir}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main class="seeker"><h1>{{.Heading}}</h1><p>{{.Text}}</p>
<p><a href="/?lang={{.Lang}}">{{.Back}}</a></p></main></body></html>
`))

func (h *handler) feedbackPage(w http.ResponseWriter, status int, lang, key string) {
	if !h.cfg.Texts.Has(lang) {
		lang = h.cfg.Texts.Default
	}
	texts := map[string]string{}
	if table, ok := h.cfg.Texts.Table(lang); ok {
		json.Unmarshal(table, &texts)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	feedbackPageTemplate.Execute(w, map[string]string{"Lang": lang, "Dir": texts["common.dir"], "Title": texts["common.seeker_title"],
		"Heading": texts[key+"_heading"], "Text": texts[key+"_text"], "Back": texts["feedback.back"]})
}
