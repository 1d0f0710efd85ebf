package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, headroom uint64
		base, want     int
	}{
		{live: 4 * mib, headroom: 64 * mib, base: 100, want: 1602}, // 1600 rounded up to a multiple of 100/16 = 6
		{live: 5 * mib, headroom: 64 * mib, base: 100, want: 1284},
		{live: 64 * mib, headroom: 64 * mib, base: 100, want: 100},
		{live: 600 * mib, headroom: 64 * mib, base: 100, want: 100},
		{live: 100 * mib, headroom: 64 * mib, base: 200, want: 200},
		{live: 0, headroom: 64 * mib, base: 100, want: 100}, // no cycle yet: the runtime starts at 4 MB
		{live: 1, headroom: 64 * mib, base: 100, want: maxPercent},
		{live: 4 * mib, headroom: 64 * mib, base: -1, want: -1},
	} {
		if got := Percent(tc.live, tc.headroom, tc.base); got != tc.want {
			t.Errorf("Percent(live %d, headroom %d, base %d) = %d, want %d", tc.live, tc.headroom, tc.base, got, tc.want)
		}
	}
}

// TestStart runs the tuner on this process: after a cycle, the heap goal
// leaves the headroom above the live heap, whatever the live heap does
// next; stop restores the base percentage.
func TestStart(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)

	const headroom = 256 << 20
	stop := Start(headroom, 100)
	var kept [][]byte
	for round := range 3 {
		kept = append(kept, make([]byte, 8<<20)) // the live heap grows
		runtime.GC()
		live, goal := waitTuned(t, headroom)
		if goal < live+headroom*15/16 {
			t.Errorf("round %d: live heap %d, goal %d: want at least %d of headroom", round, live, goal, headroom)
		}
	}
	runtime.KeepAlive(kept)

	stop()
	if p := readUint(t, "/gc/gogc:percent"); p != 100 {
		t.Errorf("after stop, GOGC is %d, want 100", p)
	}
	runtime.GC() // a cycle after stop must not tune again
	time.Sleep(10 * time.Millisecond)
	if p := readUint(t, "/gc/gogc:percent"); p != 100 {
		t.Errorf("a cycle after stop set GOGC to %d", p)
	}
}

// waitTuned waits for the finalizer of the last cycle to set the
// percentage for its live heap, and returns the live heap and goal.
func waitTuned(t *testing.T, headroom uint64) (live, goal uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		live = readUint(t, liveMetric)
		roots := readUint(t, "/gc/scan/stack:bytes") + readUint(t, "/gc/scan/globals:bytes")
		want := Percent(live+roots, headroom, 100)
		if p := readUint(t, "/gc/gogc:percent"); int(p) == want {
			return live, readUint(t, "/gc/heap/goal:bytes")
		} else if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d for a live heap of %d, want %d", p, live, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func readUint(t *testing.T, name string) uint64 {
	t.Helper()
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		t.Fatalf("metric %s: kind %v", name, s[0].Value.Kind())
	}
	return s[0].Value.Uint64()
}
