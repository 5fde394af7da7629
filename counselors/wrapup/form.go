package wrapup

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Form is a deployment's wrap-up form.
type Form struct {
	Version string  `json:"version"`
	Fields  []Field `json:"fields"`
}

// Field is one question: a choice among Options (a taxonomy when options
// have children: its answer is "parent/child").
type Field struct {
	ID       string            `json:"id"`
	Label    map[string]string `json:"label"` // language → text
	Required bool              `json:"required"`
	Options  []Option          `json:"options"`
}

// Option is one answer; Children make a second level.
type Option struct {
	ID       string            `json:"id"`
	Label    map[string]string `json:"label"`
	Children []Option          `json:"children,omitempty"`
}

//go:embed form.json
var defaultForm []byte

// DefaultForm returns the form shipped with the service.
func DefaultForm() Form {
	f, err := ParseForm(defaultForm)
	if err != nil {
		panic("the built-in wrap-up form is invalid: " + err.Error())
	}
	return f
}

// LoadForm reads a deployment's form from path; "" is the default.
func LoadForm(path string) (Form, error) {
	if path == "" {
		return DefaultForm(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Form{}, fmt.Errorf("HELPLINE_WRAPUP_FORM: %w", err)
	}
	f, err := ParseForm(data)
	if err != nil {
		return Form{}, fmt.Errorf("HELPLINE_WRAPUP_FORM %s: %w", path, err)
	}
	return f, nil
}

var code = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// Field ids a form may not use: a wrap-up never asks for who someone is.
var identifying = []string{"name", "address", "phone", "email", "ip", "surname", "birth"}

// ParseForm reads and checks a form (Validate).
func ParseForm(data []byte) (Form, error) {
	var f Form
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Form{}, err
	}
	if err := f.Validate(); err != nil {
		return Form{}, err
	}
	return f, nil
}

// Validate checks a form: a version, field and option codes (a-z, 0-9, _),
// unique, each field with two options or more, at most two levels, every
// label in Spanish and English, and no field that asks who someone is.
func (f Form) Validate() error {
	if f.Version == "" || len(f.Version) > 40 {
		return fmt.Errorf("version: 1 to 40 characters")
	}
	if len(f.Fields) == 0 {
		return fmt.Errorf("no fields")
	}
	seen := map[string]bool{}
	for _, fd := range f.Fields {
		if !code.MatchString(fd.ID) || seen[fd.ID] || strings.HasPrefix(fd.ID, "_") {
			return fmt.Errorf("field %q: a unique code of a-z, 0-9 and _", fd.ID)
		}
		for _, word := range identifying {
			for _, part := range strings.Split(fd.ID, "_") {
				if part == word {
					return fmt.Errorf("field %q: a wrap-up never records who someone is", fd.ID)
				}
			}
		}
		seen[fd.ID] = true
		if err := checkLabels(fd.ID, fd.Label); err != nil {
			return err
		}
		if err := checkIdentifyingLabel(fd.ID, fd.Label); err != nil {
			return err
		}
		if err := checkOptions(fd.ID, fd.Options, 1); err != nil {
			return err
		}
	}
	return nil
}

func checkOptions(where string, opts []Option, level int) error {
	if len(opts) < 2 {
		return fmt.Errorf("%s: at least two options", where)
	}
	seen := map[string]bool{}
	for _, o := range opts {
		if !code.MatchString(o.ID) || seen[o.ID] {
			return fmt.Errorf("%s: option %q: a unique code of a-z, 0-9 and _", where, o.ID)
		}
		seen[o.ID] = true
		if err := checkLabels(where+"/"+o.ID, o.Label); err != nil {
			return err
		}
		if len(o.Children) > 0 {
			if level == 2 {
				return fmt.Errorf("%s/%s: at most two levels", where, o.ID)
			}
			if err := checkOptions(where+"/"+o.ID, o.Children, 2); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkLabels(where string, label map[string]string) error {
	for _, lang := range []string{"es", "en"} {
		if strings.TrimSpace(label[lang]) == "" {
			return fmt.Errorf("%s: label in %q missing", where, lang)
		}
		if len([]rune(label[lang])) > MaxLabel {
			return fmt.Errorf("%s: label in %q longer than %d characters", where, lang, MaxLabel)
		}
	}
	return nil
}

// MaxLabel is the longest label of a field or option.
const MaxLabel = 120

// Words in a question's label that ask who someone is or where they are:
// a wrap-up never does, in any language it is written in.
var identifyingLabel = regexp.MustCompile(`(?i)\b(names?|surnames?|address(es)?|phones?|telephone|e-?mails?|ip|nombres?|apellidos?|direcci[oó]n|tel[eé]fonos?|correos?|domicilio)\b`)

func checkIdentifyingLabel(where string, label map[string]string) error {
	for lang, text := range label {
		if w := identifyingLabel.FindString(text); w != "" {
			return fmt.Errorf("field %s: its label in %q asks for %q; a wrap-up never records who someone is or how to reach them", where, lang, w)
		}
	}
	return nil
}

// field returns the form's field id.
func (f Form) field(id string) (Field, bool) {
	for _, fd := range f.Fields {
		if fd.ID == id {
			return fd, true
		}
	}
	return Field{}, false
}

// valid tells whether value answers fd: an option without children, or
// "parent/child".
func (fd Field) valid(value string) bool {
	parent, child, two := strings.Cut(value, "/")
	for _, o := range fd.Options {
		if o.ID != parent {
			continue
		}
		if !two {
			return len(o.Children) == 0
		}
		for _, c := range o.Children {
			if c.ID == child {
				return true
			}
		}
	}
	return false
}

// Check tells whether answers fit the form: known fields and values only;
// complete also needs every required field answered.
func (f Form) Check(answers map[string]string, complete bool) error {
	for id, v := range answers {
		fd, ok := f.field(id)
		if !ok {
			return fmt.Errorf("%s: not a field of form %s", id, f.Version)
		}
		if !fd.valid(v) {
			return fmt.Errorf("%s: %q is not one of its options", id, v)
		}
	}
	if complete {
		for _, fd := range f.Fields {
			if _, ok := answers[fd.ID]; fd.Required && !ok {
				return fmt.Errorf("%s: required", fd.ID)
			}
		}
	}
	return nil
}
