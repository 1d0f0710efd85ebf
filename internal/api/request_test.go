package api

import (
	"regexp"
	"strconv"
	"testing"
)

func TestNewGenerationID(t *testing.T) {
	shape := regexp.MustCompile(`^gen-(-?[0-9]+)-[a-zA-Z0-9]{20}$`)
	for _, unix := range []int64{1796502506, 0, -1, 1<<63 - 1, -1 << 63} {
		id := newGenerationID(unix)
		m := shape.FindStringSubmatch(id)
		if m == nil || m[1] != strconv.FormatInt(unix, 10) {
			t.Fatalf("newGenerationID(%d) = %q", unix, id)
		}
	}
	if a, b := newGenerationID(1), newGenerationID(1); a == b {
		t.Fatalf("two ids alike: %q", a)
	}
	if raceEnabled {
		return
	}
	if n := testing.AllocsPerRun(100, func() { newGenerationID(1796502506) }); n != 1 {
		t.Errorf("%v allocations per id, want 1 (the string)", n)
	}
}
