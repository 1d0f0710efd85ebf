package memguard

import (
	"runtime/debug"
	"testing"
	"time"
)

// TestHysteresis: short from High of the limit on, until under Low.
func TestHysteresis(t *testing.T) {
	var used uint64
	g := newGuard(1000, func() uint64 { return used })
	for _, step := range []struct {
		used  uint64
		short bool
	}{
		{100, false},
		{799, false},
		{800, true}, // High
		{750, true}, // between: stays short
		{700, true},
		{699, false}, // under Low
		{750, false}, // between: stays clear
		{5000, true},
	} {
		used = step.used
		g.check()
		if g.Short() != step.short {
			t.Fatalf("at %d of 1000: short %v, want %v", step.used, g.Short(), step.short)
		}
	}
}

// TestStart: a Guard reads the runtime's figures on its own, and a limit
// this process is past turns it short.
func TestStart(t *testing.T) {
	if n := inUse()(); n == 0 {
		t.Fatal("the live heap and stacks read as 0 bytes")
	}
	g := Start(1 << 10)
	defer g.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for !g.Short() {
		if time.Now().After(deadline) {
			t.Fatalf("not short of memory with a limit of 1 KiB after 5s (in use: %d bytes)", inUse()())
		}
		time.Sleep(Interval / 2)
	}

	roomy := Start(1 << 50)
	defer roomy.Stop()
	time.Sleep(3 * Interval)
	if roomy.Short() {
		t.Errorf("short of memory under a limit of 1 PiB (in use: %d bytes)", inUse()())
	}
}

// TestNoLimit: without a limit there is no Guard, and nil is never short.
func TestNoLimit(t *testing.T) {
	g := Start(0)
	if g != nil || g.Short() {
		t.Fatalf("Start(0) = %v, short %v", g, g.Short())
	}
	g.Stop() // nil-safe

	before := debug.SetMemoryLimit(1 << 40)
	defer debug.SetMemoryLimit(before)
	if l, ok := Limit(); !ok || l != 1<<40 {
		t.Errorf("Limit() = %d, %v after SetMemoryLimit(1 TiB)", l, ok)
	}
}
