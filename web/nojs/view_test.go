package nojs

import (
	"net/http/httptest"
	"strings"
	"testing"

	"helpline/chat"
)

// tableTexts is a translation table for these tests: each key's text is
// the key itself, with {name} kept, so a test sees which key was used.
type tableTexts struct{}

func (tableTexts) Text(lang, key string) string {
	if key == "chat.system_joined" {
		return "joined:{name}"
	}
	return key
}
func (tableTexts) Codes() []string         { return []string{"en", "es"} }
func (tableTexts) Name(lang string) string { return lang }
func (tableTexts) Negotiate(string) string { return "en" }
func (tableTexts) Has(lang string) bool    { return lang == "en" || lang == "es" }

// Every kind of message is drawn from its stored text: text and kinds this
// page does not know (a referral card, say) as plain escaped text, system
// events in words.
func TestMessagesOfEveryKindAreDrawnAsText(t *testing.T) {
	h := New(Config{Texts: tableTexts{}})
	r := httptest.NewRequest("GET", "/nojs/log", nil)
	w := httptest.NewRecorder()
	v := h.view(w, r, "/nojs/log")
	v.Messages = v.messages([]chat.Message{
		{Seq: 1, Sender: chat.SenderSeeker, Kind: chat.KindText, Body: "hola <script>x()</script>"},
		{Seq: 2, Sender: chat.SenderSystem, Kind: chat.KindJoined, Name: "Ana <i>"},
		{Seq: 3, Sender: chat.SenderCounselor, Kind: "referral", Name: "Ana", Body: `{"service":"<b>North</b>"}`},
		{Seq: 4, Sender: chat.SenderSystem, Kind: "something_new", Body: "a new <em>event</em>"},
		{Seq: 5, Sender: chat.SenderSystem, Kind: chat.KindEnded, Body: "counselor"},
	})
	h.render(w, 200, "log", v)
	page := w.Body.String()
	for _, want := range []string{
		`data-seq="1" data-kind="text" data-state="delivered"`,
		"hola &lt;script&gt;x()&lt;/script&gt;",
		"joined:Ana &lt;i&gt;",
		`data-seq="3" data-kind="referral"`,
		"{&#34;service&#34;:&#34;&lt;b&gt;North&lt;/b&gt;&#34;}",
		"a new &lt;em&gt;event&lt;/em&gt;",
		"chat.system_ended_counselor",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s:\n%s", want, page)
		}
	}
	for _, bad := range []string{"<script>x()", "<b>North", "<em>event", "<i>"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page draws %q as markup", bad)
		}
	}
	if strings.Count(page, "<li ") != 5 {
		t.Errorf("want 5 messages drawn:\n%s", page)
	}
}
