package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const ctx = "account:42/provider:openai"

// testKey returns a fixed, non-zero key distinguished by seed.
func testKey(seed byte) []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

func mustNew(t *testing.T, key []byte, previous ...[]byte) *Box {
	t.Helper()
	b, err := New(key, previous...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	b := mustNew(t, testKey(1))
	for _, plain := range [][]byte{
		[]byte("sk-proj-abc123"),
		{},
		bytes.Repeat([]byte{0xff}, 4096),
	} {
		sealed := b.Seal(plain, ctx)
		if len(sealed) != len(plain)+33 {
			t.Errorf("sealed %d bytes into %d, want %d", len(plain), len(sealed), len(plain)+33)
		}
		if len(plain) > 4 && bytes.Contains(sealed, plain[:5]) {
			t.Errorf("sealed value contains the plaintext")
		}
		got, err := b.Open(sealed, ctx)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Open = %q, %v; want %q", got, err, plain)
		}
	}
}

// TestFormat opens a sealed value with crypto/cipher directly, following
// the documented layout, so a change of format cannot go unnoticed.
func TestFormat(t *testing.T) {
	key := testKey(7)
	sealed := mustNew(t, key).Seal([]byte("secret"), ctx)

	if sealed[0] != 1 {
		t.Fatalf("version byte = %d, want 1", sealed[0])
	}
	sum := sha256.Sum256(key)
	if !bytes.Equal(sealed[1:5], sum[:4]) {
		t.Fatalf("key id = %x, want %x", sealed[1:5], sum[:4])
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce, body := sealed[5:17], sealed[17:]
	ad := append(append([]byte{}, sealed[:5]...), ctx...)
	plain, err := gcm.Open(nil, nonce, body, ad)
	if err != nil || string(plain) != "secret" {
		t.Fatalf("independent open = %q, %v", plain, err)
	}
}

func TestWrongKey(t *testing.T) {
	sealed := mustNew(t, testKey(1)).Seal([]byte("sk-1"), ctx)
	_, err := mustNew(t, testKey(2)).Open(sealed, ctx)
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with another key: %v, want ErrWrongKey", err)
	}
}

func TestWrongContext(t *testing.T) {
	b := mustNew(t, testKey(1))
	sealed := b.Seal([]byte("sk-1"), "account:42/provider:openai")
	for _, other := range []string{
		"account:43/provider:openai",
		"account:42/provider:anthropic",
		"account:42/provider:openai ",
		"",
	} {
		if _, err := b.Open(sealed, other); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Open for %q: %v, want ErrCorrupt", other, err)
		}
	}
}

func TestTamperedByte(t *testing.T) {
	b := mustNew(t, testKey(1))
	sealed := b.Seal([]byte("sk-ant-api03-xyz"), ctx)
	for i := range sealed {
		for _, flip := range []byte{0x01, 0x80} {
			bad := bytes.Clone(sealed)
			bad[i] ^= flip
			_, err := b.Open(bad, ctx)
			want := ErrCorrupt
			if 1 <= i && i < 5 { // the key id now names no key of the box
				want = ErrWrongKey
			}
			if !errors.Is(err, want) {
				t.Errorf("byte %d ^ %#x: Open error %v, want %v", i, flip, err, want)
			}
		}
	}
	if _, err := b.Open(append(bytes.Clone(sealed), 0), ctx); !errors.Is(err, ErrCorrupt) {
		t.Errorf("appended byte: Open error %v, want ErrCorrupt", err)
	}
}

func TestTruncated(t *testing.T) {
	b := mustNew(t, testKey(1))
	sealed := b.Seal([]byte("sk-1"), ctx)
	for n := range len(sealed) {
		if _, err := b.Open(sealed[:n], ctx); !errors.Is(err, ErrCorrupt) {
			t.Errorf("first %d of %d bytes: Open error %v, want ErrCorrupt", n, len(sealed), err)
		}
	}
	if _, err := b.Open(nil, ctx); !errors.Is(err, ErrCorrupt) {
		t.Errorf("nil: Open error %v, want ErrCorrupt", err)
	}
}

func TestUnknownVersion(t *testing.T) {
	b := mustNew(t, testKey(1))
	sealed := b.Seal([]byte("sk-1"), ctx)
	for _, v := range []byte{0, 2, 255} {
		bad := bytes.Clone(sealed)
		bad[0] = v
		_, err := b.Open(bad, ctx)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("version %d", v)) {
			t.Errorf("version %d: Open error %v, want ErrCorrupt naming the version", v, err)
		}
	}
}

func TestNonceUnique(t *testing.T) {
	b := mustNew(t, testKey(1))
	plain := []byte("same plaintext")
	seen := make(map[string]bool)
	for range 1000 {
		sealed := b.Seal(plain, ctx)
		nonce := string(sealed[5:17])
		if seen[nonce] {
			t.Fatalf("nonce %x repeated", nonce)
		}
		seen[nonce] = true
	}
	if bytes.Equal(b.Seal(plain, ctx), b.Seal(plain, ctx)) {
		t.Fatal("sealing twice gave the same bytes")
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := testKey(1), testKey(2)
	old := mustNew(t, oldKey)
	sealedOld := old.Seal([]byte("sk-old"), ctx)

	rotated := mustNew(t, newKey, oldKey)
	got, err := rotated.Open(sealedOld, ctx)
	if err != nil || string(got) != "sk-old" {
		t.Fatalf("rotated box opening an old value = %q, %v", got, err)
	}
	sealedNew := rotated.Seal([]byte("sk-new"), ctx)
	if sum := sha256.Sum256(newKey); !bytes.Equal(sealedNew[1:5], sum[:4]) {
		t.Fatalf("rotated box sealed with key id %x, want the first key's %x", sealedNew[1:5], sum[:4])
	}
	if _, err := old.Open(sealedNew, ctx); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("old box opening a new value: %v, want ErrWrongKey", err)
	}
	if got, err := mustNew(t, newKey).Open(sealedNew, ctx); err != nil || string(got) != "sk-new" {
		t.Fatalf("new key alone opening a new value = %q, %v", got, err)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name     string
		key      []byte
		previous [][]byte
		want     string
	}{
		{"nil", nil, nil, "key 1: is 0 bytes, want 32"},
		{"short", make([]byte, 16), nil, "key 1: is 16 bytes, want 32"},
		{"long", make([]byte, 33), nil, "key 1: is 33 bytes, want 32"},
		{"all zero", make([]byte, 32), nil, "key 1: is all zero bytes"},
		{"bad previous", testKey(1), [][]byte{testKey(2), {1, 2, 3}}, "key 3: is 3 bytes"},
		{"duplicate", testKey(1), [][]byte{testKey(1)}, "key 2: same key id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.key, tt.previous...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, %v; want error containing %q", b, err, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	k1, k2 := testKey(0xf0), testKey(0x30) // 0xf0… encodes with + and / or - and _
	sealed := mustNew(t, k2).Seal([]byte("sk-2"), ctx)
	tests := []struct {
		name string
		s    string
		keys int
	}{
		{"std", base64.StdEncoding.EncodeToString(k1), 1},
		{"raw std", base64.RawStdEncoding.EncodeToString(k1), 1},
		{"url", base64.URLEncoding.EncodeToString(k1), 1},
		{"raw url", base64.RawURLEncoding.EncodeToString(k1), 1},
		{"spaces", "  " + base64.StdEncoding.EncodeToString(k1) + "\n", 1},
		{"ring", base64.StdEncoding.EncodeToString(k1) + ", " + base64.RawURLEncoding.EncodeToString(k2), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Parse(tt.s)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(b.keys) != tt.keys {
				t.Fatalf("%d keys, want %d", len(b.keys), tt.keys)
			}
			// The first key seals: only k1 opens what b seals.
			if _, err := mustNew(t, k1).Open(b.Seal([]byte("x"), ctx), ctx); err != nil {
				t.Fatalf("first key does not open what the parsed box sealed: %v", err)
			}
			_, err = b.Open(sealed, ctx)
			if tt.keys == 2 && err != nil {
				t.Fatalf("second key does not open: %v", err)
			}
			if tt.keys == 1 && !errors.Is(err, ErrWrongKey) {
				t.Fatalf("a one-key box opened another key's value: %v", err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want string
	}{
		{"empty", "", "key 1 of 1: empty"},
		{"blank", "   ", "key 1 of 1: empty"},
		{"not base64", "sk-proj-!!!notbase64***", "key 1 of 1: is not base64 (23 characters)"},
		{"too short", base64.StdEncoding.EncodeToString(testKey(1)[:16]), "decodes to 16 bytes"},
		{"too long", base64.StdEncoding.EncodeToString(append(testKey(1), 0)), "decodes to 33 bytes"},
		{"all zero", base64.StdEncoding.EncodeToString(make([]byte, 32)), "all zero"},
		{"trailing comma", base64.StdEncoding.EncodeToString(testKey(1)) + ",", "key 2 of 2: empty"},
		{"duplicate", base64.StdEncoding.EncodeToString(testKey(1)) + "," + base64.RawURLEncoding.EncodeToString(testKey(1)), "same key id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error %v, want one containing %q", err, tt.want)
			}
			for _, part := range strings.Split(tt.s, ",") {
				if p := strings.TrimSpace(part); len(p) >= 4 && strings.Contains(err.Error(), p) {
					t.Fatalf("error %q repeats the key text", err)
				}
			}
		})
	}
}

func TestGenerateKey(t *testing.T) {
	a, b := GenerateKey(), GenerateKey()
	if a == b {
		t.Fatal("GenerateKey returned the same key twice")
	}
	k, err := base64.StdEncoding.DecodeString(a)
	if err != nil || len(k) != KeySize {
		t.Fatalf("GenerateKey = %q: %d bytes, %v", a, len(k), err)
	}
	box, err := Parse(a)
	if err != nil {
		t.Fatalf("Parse(GenerateKey()): %v", err)
	}
	if got, err := box.Open(box.Seal([]byte("x"), ctx), ctx); err != nil || string(got) != "x" {
		t.Fatalf("round trip with a generated key = %q, %v", got, err)
	}
}

func TestBoxNeverPrintsKeys(t *testing.T) {
	key := GenerateKey()
	b, err := Parse(key)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "box", b)
	out := fmt.Sprintf("%v|%+v|%#v|%s|", b, b, b, b) + logs.String()
	if strings.Contains(out, key) || strings.Count(out, "secretbox.Box(keys: 1)") != 5 {
		t.Fatalf("printed Box: %s", out)
	}
}

func FuzzOpen(f *testing.F) {
	b, err := New(testKey(1))
	if err != nil {
		f.Fatal(err)
	}
	sealed := b.Seal([]byte("sk-1"), ctx)
	f.Add(sealed, ctx)
	f.Add(sealed[:20], ctx)
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, data []byte, context string) {
		plain, err := b.Open(data, context)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongKey) {
				t.Fatalf("Open error %v is neither ErrCorrupt nor ErrWrongKey", err)
			}
			return
		}
		// Only a genuine value opens (forging GCM is infeasible). Each fuzz
		// worker seals its own seed with its own nonce, so compare what a
		// genuine value has in common rather than its bytes.
		if len(data) != len(sealed) || !bytes.Equal(data[:5], sealed[:5]) || context != ctx || string(plain) != "sk-1" {
			t.Fatalf("Open(%x, %q) = %q", data, context, plain)
		}
	})
}
