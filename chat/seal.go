package chat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
)

// Sealer encrypts text at rest (every column in SealedColumns: message
// bodies, handover notes) with AES-256-GCM. It holds several
// keys by id: new data is sealed with the current key, and data sealed with
// any known key can be opened, so keys rotate without downtime (RotateKeys in
// the PostgreSQL store re-seals the old rows of every SealedColumns entry).
type Sealer struct {
	current string
	aeads   map[string]cipher.AEAD
}

// ParseKeys reads "id:base64key,id:base64key": the first key is the current
// one. Each key must be 32 bytes (AES-256); ids are short names such as "k1".
func ParseKeys(spec string) (*Sealer, error) {
	keys, err := parseKeySpec("encryption keys", spec)
	if err != nil {
		return nil, err
	}
	s := &Sealer{current: keys[0].id, aeads: map[string]cipher.AEAD{}}
	for _, k := range keys {
		block, err := aes.NewCipher(k.key)
		if err != nil {
			return nil, err
		}
		if s.aeads[k.id], err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// NewKey returns a fresh random key in the form ParseKeys reads.
func NewKey(id string) string {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(key)
}

// HasKey tells whether data sealed under keyID can be opened.
func (s *Sealer) HasKey(keyID string) bool { _, ok := s.aeads[keyID]; return ok }

// CurrentKey is the id of the key new data is sealed with.
func (s *Sealer) CurrentKey() string { return s.current }

// Seal encrypts plaintext with the current key. aad binds the ciphertext to
// where it is stored, so a row's ciphertext cannot be moved to another row.
func (s *Sealer) Seal(plaintext, aad []byte) (keyID string, sealed []byte) {
	return s.SealAppend(nil, plaintext, aad)
}

// SealAppend is Seal appending the sealed data to dst, for a caller that
// seals many values into one buffer of its own; dst's spare room must not
// overlap plaintext or aad.
func (s *Sealer) SealAppend(dst, plaintext, aad []byte) (keyID string, out []byte) {
	aead := s.aeads[s.current]
	n := aead.NonceSize()
	out = slices.Grow(dst, n+len(plaintext)+aead.Overhead())
	start := len(out)
	out = out[:start+n]
	nonce := out[start:]
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return s.current, aead.Seal(out, nonce, plaintext, aad)
}

// SealedLen is how long plaintext of n bytes is once sealed.
func (s *Sealer) SealedLen(n int) int {
	aead := s.aeads[s.current]
	return aead.NonceSize() + n + aead.Overhead()
}

// Open decrypts data sealed by Seal under keyID.
func (s *Sealer) Open(keyID string, sealed, aad []byte) ([]byte, error) {
	aead, ok := s.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("data sealed with unknown key %q: add that key to HELPLINE_ENCRYPTION_KEYS", keyID)
	}
	n := aead.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("sealed data too short")
	}
	return aead.Open(nil, sealed[:n], sealed[n:], aad)
}
