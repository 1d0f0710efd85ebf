package apikey

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	k, h, label := New()
	s := k.Reveal()
	if !LooksValid(s) || Hash(s) != h || len(h) != 64 {
		t.Fatalf("bad key %q hash %q", s, h)
	}
	if !strings.HasPrefix(label, Prefix) || strings.Contains(label, s[len(Prefix)+3:len(s)-3]) {
		t.Fatalf("label %q leaks the key", label)
	}
	if k2, _, _ := New(); k2 == k {
		t.Fatal("two keys are equal")
	}
	if got := fmt.Sprint(k); strings.Contains(got, s) {
		t.Fatalf("fmt leaks the key: %s", got)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "key", k)
	if strings.Contains(b.String(), s) {
		t.Fatalf("slog leaks the key: %s", b.String())
	}
	if !Equal(h, Hash(s)) || Equal(h, Hash(s+"x")) {
		t.Fatal("Equal is wrong")
	}
}

func TestLooksValid(t *testing.T) {
	for _, s := range []string{"", "sk-sy-v1-", "sk-or-v1-" + strings.Repeat("a", 64), Prefix + strings.Repeat("z", 64), Prefix + strings.Repeat("a", 63)} {
		if LooksValid(s) {
			t.Errorf("LooksValid(%q) = true", s)
		}
	}
}
