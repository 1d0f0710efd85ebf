package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/store"
)

func TestClipError(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int // length of the result
	}{
		{"short", "boom", 4},
		{"exactly the limit", strings.Repeat("x", 500), 500},
		{"ascii over", strings.Repeat("x", 501), 500},
		{"cut inside a character", strings.Repeat("€", 200), 498},
		{"character starts at the limit", "xx" + strings.Repeat("€", 200), 500}, // 2 + 166×3
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := store.ClipError(tt.in)
			if len(got) != tt.want || !strings.HasPrefix(tt.in, got) {
				t.Errorf("ClipError: %d bytes, want a %d-byte prefix", len(got), tt.want)
			}
		})
	}
}

func TestValidPresetSlug(t *testing.T) {
	for slug, want := range map[string]bool{
		"email-copywriter": true, "a": true, "gpt4o-2": true, "0": true,
		strings.Repeat("a", store.MaxPresetSlugLen): true,
		"": false, "Email": false, "a_b": false, "a/b": false, "-a": false, "a-": false, "é": false, "a b": false,
		strings.Repeat("a", store.MaxPresetSlugLen+1): false,
	} {
		if got := store.ValidPresetSlug(slug); got != want {
			t.Errorf("ValidPresetSlug(%q) = %v, want %v", slug, got, want)
		}
	}
}

func TestNewPresetValidateCompacts(t *testing.T) {
	np := store.NewPreset{AccountID: 1, Slug: "s", Config: json.RawMessage("{ \"b\": 1,\n \"a\": [ 1, 2 ] }")}
	got, err := np.Validate()
	if err != nil || string(got) != `{"b":1,"a":[1,2]}` {
		t.Errorf("Validate = %s, %v", got, err)
	}
	np.Config = json.RawMessage(" [] ")
	if _, err := np.Validate(); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Validate(array) = %v, want ErrInvalid", err)
	}
}
