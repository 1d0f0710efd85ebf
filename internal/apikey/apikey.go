// Package apikey creates and hashes Switchyard API keys.
//
// A key is "sk-sy-v1-" followed by 64 hex digits of crypto/rand entropy
// (256 bits). Only its SHA-256 hex digest is stored; the digest doubles as
// the key's public id ("hash" in the keys API). The plaintext is shown once,
// at creation, and never logged.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"strings"
)

// Prefix starts every Switchyard key.
const Prefix = "sk-sy-v1-"

// Plaintext is a key's secret form. It redacts itself in logs and fmt.
type Plaintext string

// String implements fmt.Stringer with a redacted value.
func (Plaintext) String() string { return "sk-sy-v1-REDACTED" }

// LogValue implements slog.LogValuer with a redacted value.
func (Plaintext) LogValue() slog.Value { return slog.StringValue("sk-sy-v1-REDACTED") }

// Reveal returns the plaintext, for the one place that shows it to its owner.
func (p Plaintext) Reveal() string { return string(p) }

// New returns a fresh key, its hash and a display label ("sk-sy-v1-ab1…f9e").
func New() (key Plaintext, hash, label string) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return short)
	s := Prefix + hex.EncodeToString(b[:])
	return Plaintext(s), Hash(s), Label(s)
}

// Hash returns the SHA-256 hex digest of a plaintext key.
func Hash(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// Label returns a short form safe to display: the prefix, three characters
// and the last three.
func Label(plaintext string) string {
	rest := strings.TrimPrefix(plaintext, Prefix)
	if len(rest) < 8 {
		return Prefix + "…"
	}
	return Prefix + rest[:3] + "…" + rest[len(rest)-3:]
}

// Equal compares two hashes in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// LooksValid reports whether s has the shape of a Switchyard key, to reject
// garbage before touching the store.
func LooksValid(s string) bool {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok || len(rest) != 64 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil
}
