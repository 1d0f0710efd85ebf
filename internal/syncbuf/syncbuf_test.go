package syncbuf

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Writes from many goroutines, read while they go on, arrive whole.
func TestConcurrentWritesAndReads(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				fmt.Fprintf(&b, "%d:%d\n", g, i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, l := range lines {
		var g, i int
		if n, err := fmt.Sscanf(l, "%d:%d", &g, &i); n != 2 || err != nil {
			t.Fatalf("torn line %q", l)
		}
	}
}
