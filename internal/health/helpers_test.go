package health

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestEndpoint returns an endpoint of a fresh registry on a fake clock
// (created at the clock's start, so buckets begin there).
func newTestEndpoint(t testing.TB, o Options) (*Endpoint, *fakeClock) {
	t.Helper()
	c := newFakeClock()
	o.Now = c.Now
	return NewRegistry(o).Endpoint("acme", "acme/model"), c
}

// Outcomes used by the tests.
var (
	okOutcome     = Outcome{Success: true}
	errOutcome    = Outcome{}
	limitOutcome  = Outcome{RateLimited: true}
	clientOutcome = Outcome{ClientError: true}
)
