package referral

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sharing is what the seeker chose to share, on their own page.
type Sharing string

const (
	// ShareCodeOnly sends nothing about the seeker but the referral code.
	ShareCodeOnly Sharing = "code_only"
	// ShareContact also sends the name and contact method the seeker typed.
	ShareContact Sharing = "with_contact"
)

// Seeker is the part of a payload the seeker consented to. Name and Contact
// are exactly what they typed; both stay empty unless Sharing is
// ShareContact.
type Seeker struct {
	Sharing Sharing `json:"sharing"`
	Name    string  `json:"name,omitempty"`
	Contact string  `json:"contact,omitempty"`
}

// Payload is everything a partner receives. It is a closed struct on
// purpose: message text, counsellor names or anything else cannot reach a
// partner because there is no field to put it in.
type Payload struct {
	Type         string `json:"type"` // always "referral.created"
	ReferralCode string `json:"referral_code"`
	ServiceID    string `json:"service_id"`
	Seeker       Seeker `json:"seeker"`
	Language     string `json:"language"`
	Audience     string `json:"audience"`
	Region       string `json:"region,omitempty"`
}

// EventType is the one event partners receive today.
const EventType = "referral.created"

// maxField bounds what the seeker types, so a payload stays far below the
// specification's 20 kB.
const maxField = 200

// Validate checks the consent rules: no contact details without the
// seeker's choice to share them, and the identifying fields are present.
func (p Payload) Validate() error {
	if p.ReferralCode == "" || p.ServiceID == "" {
		return errors.New("referral: a payload needs the referral code and the service id")
	}
	switch p.Seeker.Sharing {
	case ShareCodeOnly:
		if p.Seeker.Name != "" || p.Seeker.Contact != "" {
			return errors.New("referral: the seeker chose to share only the code, so name and contact must be empty")
		}
	case ShareContact:
		if strings.TrimSpace(p.Seeker.Name) == "" && strings.TrimSpace(p.Seeker.Contact) == "" {
			return errors.New("referral: the seeker chose to share contact details but typed none")
		}
	default:
		return fmt.Errorf("referral: unknown sharing choice %q", p.Seeker.Sharing)
	}
	if utf8.RuneCountInString(p.Seeker.Name) > maxField || utf8.RuneCountInString(p.Seeker.Contact) > maxField {
		return fmt.Errorf("referral: name and contact are limited to %d characters", maxField)
	}
	return nil
}

// Encode validates p and returns the JSON body partners receive.
func (p Payload) Encode() ([]byte, error) {
	p.Type = EventType
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(p)
}
