package router

import (
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// TestStickyKey: a conversation is known by its model, system message and
// first other message; of a long message, by its length, head and tail.
func TestStickyKey(t *testing.T) {
	tbl := newStickyTable()
	key := func(system, first string) uint64 {
		t.Helper()
		req := &openai.ChatRequest{Model: "m", Messages: []openai.Message{
			{Role: "system", Content: openai.TextContent(system)},
			{Role: "user", Content: openai.TextContent(first)},
			{Role: "assistant", Content: openai.TextContent("later turns do not count")},
		}}
		k, explicit, ok := tbl.key(req, Call{})
		if !ok || explicit {
			t.Fatalf("key: ok %v, explicit %v", ok, explicit)
		}
		return k.conv
	}
	long := strings.Repeat("lorem ipsum ", 10_000)
	middle := len(long) / 2
	changed := func(s string, i int) string { return s[:i] + "X" + s[i+1:] }
	base := key("be brief", long)
	for _, tc := range []struct {
		name   string
		key    uint64
		shared bool
	}{
		{"same conversation", key("be brief", long), true},
		{"another system message", key("be verbose", long), false},
		{"first message changed at its start", key("be brief", changed(long, 10)), false},
		{"first message changed at its end", key("be brief", changed(long, len(long)-10)), false},
		{"first message one byte longer", key("be brief", long+"."), false},
		{"first message changed in its middle", key("be brief", changed(long, middle)), true},
		{"the system message and the first swapped", key(long, "be brief"), false},
	} {
		if (tc.key == base) != tc.shared {
			t.Errorf("%s: key shared %v, want %v", tc.name, tc.key == base, tc.shared)
		}
	}
	if key("a", "b") == key("ab", "") {
		t.Error("the boundary between the system message and the first is not in the key")
	}
}
