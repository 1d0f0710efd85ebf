package background

import (
	"context"
	"testing"
)

func TestYielding(t *testing.T) {
	ctx := context.Background()
	if Yields(ctx) {
		t.Error("a plain context yields")
	}
	y := Yielding(ctx)
	if !Yields(y) {
		t.Error("Yielding's context does not yield")
	}
	derived, cancel := context.WithCancel(y)
	defer cancel()
	if !Yields(derived) {
		t.Error("a context derived from Yielding's does not yield")
	}
	// Yield returns, whether or not another thread waits for the core.
	for range 3 {
		Yield(ctx)
		Yield(y)
	}
}
