package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Alternative is a place a help-seeker can turn to when the service cannot
// take a conversation now (closed, queue full, nobody on shift): another
// helpline, a crisis line, a self-help site. A deployment lists its own in a
// file (HELPLINE_ALTERNATIVES_FILE); the closed page shows them, with the
// self-help reading, in the page's language.
type Alternative struct {
	Name        map[string]string `json:"name"`                  // by language; the default language is required
	Description map[string]string `json:"description,omitempty"` // by language
	Hours       map[string]string `json:"hours,omitempty"`       // by language, as written ("24 h", "lun-vie 9-21")
	Phone       string            `json:"phone,omitempty"`       // digits, spaces, +, -, ( )
	URL         string            `json:"url,omitempty"`         // https:// only
}

var phoneChars = regexp.MustCompile(`^\+?[0-9][0-9 ()\-]{1,24}$`)

// LoadAlternatives reads the alternatives file (path "" means none). Every
// problem is named with the entry it is in; nothing is loaded when any is
// wrong.
func LoadAlternatives(path, defaultLanguage string) ([]Alternative, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list []Alternative
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("%s: want a JSON list of {name, description, hours, phone, url}: %v", path, err)
	}
	var problems []string
	for i, a := range list {
		where := fmt.Sprintf("%s: entry %d", path, i+1)
		if strings.TrimSpace(a.Name[defaultLanguage]) == "" {
			problems = append(problems, fmt.Sprintf("%s: name needs a %q text (the default language)", where, defaultLanguage))
		}
		if a.Phone == "" && a.URL == "" {
			problems = append(problems, where+": give a phone, a url or both")
		}
		if a.Phone != "" && !phoneChars.MatchString(a.Phone) {
			problems = append(problems, fmt.Sprintf("%s: phone %q: digits, spaces, + - ( ) only", where, a.Phone))
		}
		if a.URL != "" {
			if u, err := url.Parse(a.URL); err != nil || u.Scheme != "https" || u.Host == "" {
				problems = append(problems, fmt.Sprintf("%s: url %q: want an https:// address", where, a.URL))
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return list, nil
}

// TelURL is the tel: link of a phone number (its digits and a leading +).
func TelURL(phone string) string {
	var b strings.Builder
	for i, r := range phone {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return "tel:" + b.String()
}

// alternatives is the list as the pages read it, with each phone's tel: link.
func (h *handler) alternatives() []map[string]any {
	out := make([]map[string]any, 0, len(h.cfg.Alternatives))
	for _, a := range h.cfg.Alternatives {
		m := map[string]any{"name": a.Name, "description": a.Description, "hours": a.Hours, "url": a.URL, "phone": a.Phone}
		if a.Phone != "" {
			m["tel"] = TelURL(a.Phone)
		}
		out = append(out, m)
	}
	return out
}
