// Package secretbox seals small secrets at rest — the accounts' own
// provider API keys (BYOK) — with AES-256-GCM from the standard library.
//
// A sealed value is
//
//	version (1 byte) ‖ key id (4 bytes) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)
//
// The key id is the first four bytes of the SHA-256 of the key, so a value
// sealed under another key is reported as ErrWrongKey rather than as
// corruption. The nonce is random; one key can seal 2³² values before the
// chance of a nonce collision stops being negligible, far more than any
// gateway stores.
//
// Every value is sealed for a context, e.g. "account:42/provider:openai",
// bound as GCM additional data together with the version and key id: a
// sealed key copied to another account's or provider's row does not open.
//
// A Box holds one or more keys: the first seals, all of them open, so a
// key is rotated by putting the new key first and keeping the old one
// until every value has been resealed.
package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

const (
	version   byte = 1
	keyIDSize      = 4
	headerLen      = 1 + keyIDSize
	// overhead is the GCM nonce and tag that follow the header.
	overhead = 12 + 16
)

// ErrWrongKey reports a value sealed under a key the Box does not hold.
var ErrWrongKey = errors.New("secretbox: sealed with a key this box does not hold")

// ErrCorrupt reports a value that is truncated, of an unknown version,
// altered, or sealed for another context. (Authenticated encryption cannot
// tell an altered value from one sealed for another context.)
var ErrCorrupt = errors.New("secretbox: sealed value is corrupt or was sealed for another context")

// Box seals and opens values. It is safe for concurrent use. Its String,
// GoString and LogValue never show key material. Make one with New or
// Parse; the zero Box holds no key.
type Box struct {
	keys []boxKey // keys[0] seals
}

type boxKey struct {
	id   [keyIDSize]byte
	aead cipher.AEAD
}

// New returns a Box that seals with key and opens values sealed with key
// or any of previous (keys being rotated out). Each key is KeySize random
// bytes; GenerateKey makes one.
func New(key []byte, previous ...[]byte) (*Box, error) {
	all := append([][]byte{key}, previous...)
	b := &Box{keys: make([]boxKey, 0, len(all))}
	for i, k := range all {
		kk, err := newKey(k)
		if err != nil {
			return nil, fmt.Errorf("secretbox: key %d: %w", i+1, err)
		}
		for _, have := range b.keys {
			if have.id == kk.id {
				return nil, fmt.Errorf("secretbox: key %d: same key id as an earlier key (a key given twice?)", i+1)
			}
		}
		b.keys = append(b.keys, kk)
	}
	return b, nil
}

func newKey(k []byte) (boxKey, error) {
	if len(k) != KeySize {
		return boxKey{}, fmt.Errorf("is %d bytes, want %d", len(k), KeySize)
	}
	// An all-zero key is a placeholder left in a config file, not a key.
	if bytes.Equal(k, make([]byte, KeySize)) {
		return boxKey{}, errors.New("is all zero bytes; generate a random key")
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return boxKey{}, err // unreachable for 32 bytes; the error names no key bytes
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return boxKey{}, err
	}
	sum := sha256.Sum256(k)
	var out boxKey
	copy(out.id[:], sum[:keyIDSize])
	out.aead = aead
	return out, nil
}

// Parse returns a Box from its configuration form: one or more keys
// separated by commas, the first sealing and all opening, each the
// base64 (standard or URL alphabet, padded or not) of KeySize bytes.
// Errors never repeat the text given.
func Parse(s string) (*Box, error) {
	parts := strings.Split(s, ",")
	keys := make([][]byte, 0, len(parts))
	for i, p := range parts {
		k, err := decodeKey(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("secretbox: key %d of %d: %w", i+1, len(parts), err)
		}
		keys = append(keys, k)
	}
	return New(keys[0], keys[1:]...)
}

// decodeKey decodes one base64 key. Whatever fails, the error describes
// the input only by its length.
func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("empty; want base64 of %d random bytes (see GenerateKey)", KeySize)
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("decodes to %d bytes; want base64 of %d random bytes", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("is not base64 (%d characters); want base64 of %d random bytes", len(s), KeySize)
}

// GenerateKey returns a new random key in the form Parse accepts
// (standard base64 of KeySize bytes).
func GenerateKey() string {
	k := make([]byte, KeySize)
	rand.Read(k) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(k)
}

// Seal encrypts plaintext for context with the Box's first key. The
// result is len(plaintext)+33 bytes and differs on every call.
func (b *Box) Seal(plaintext []byte, context string) []byte {
	k := &b.keys[0]
	out := make([]byte, headerLen, headerLen+overhead+len(plaintext))
	out[0] = version
	copy(out[1:headerLen], k.id[:])
	// The AEAD draws the nonce and writes nonce ‖ ciphertext ‖ tag.
	return k.aead.Seal(out, nil, plaintext, additional(out[:headerLen], context))
}

// Open decrypts a value sealed for context by a Box holding the same key.
// It returns ErrWrongKey if no key of the Box sealed it and ErrCorrupt if
// it is truncated, altered, of an unknown version or for another context.
func (b *Box) Open(sealed []byte, context string) ([]byte, error) {
	if len(sealed) < headerLen+overhead {
		return nil, fmt.Errorf("%w (%d bytes, shorter than any sealed value)", ErrCorrupt, len(sealed))
	}
	if sealed[0] != version {
		return nil, fmt.Errorf("%w (unknown version %d)", ErrCorrupt, sealed[0])
	}
	header := sealed[:headerLen]
	for i := range b.keys {
		k := &b.keys[i]
		if !bytes.Equal(k.id[:], header[1:]) {
			continue
		}
		plain, err := k.aead.Open(nil, nil, sealed[headerLen:], additional(header, context))
		if err != nil {
			return nil, ErrCorrupt
		}
		return plain, nil
	}
	return nil, ErrWrongKey
}

// additional is the GCM additional data: the header, so that neither the
// version nor the key id can be altered, then the context. The header has
// a fixed length, so no two (header, context) pairs give the same bytes.
func additional(header []byte, context string) []byte {
	ad := make([]byte, 0, len(header)+len(context))
	return append(append(ad, header...), context...)
}

// String describes the Box without key material: the AES key schedule in
// its fields would otherwise be printed by %v.
func (b *Box) String() string {
	if b == nil {
		return "secretbox.Box(nil)"
	}
	return fmt.Sprintf("secretbox.Box(keys: %d)", len(b.keys))
}

// GoString implements fmt.GoStringer (the %#v verb) like String.
func (b *Box) GoString() string { return b.String() }

// LogValue implements slog.LogValuer like String.
func (b *Box) LogValue() slog.Value { return slog.StringValue(b.String()) }
