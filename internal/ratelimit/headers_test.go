package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

func TestWriteHeaders(t *testing.T) {
	// OpenRouter's example: a daily limit resetting at 2025-03-07T00:00Z.
	midnight := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		d    Decision
		want map[string]string // "" for absent
	}{
		{"allowed", Decision{Allowed: true, Limit: 20, Remaining: 7, Reset: midnight},
			map[string]string{"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "1741305600000", "Retry-After": ""}},
		{"denied", Decision{Limit: 50, Reset: midnight, RetryAfter: 3 * time.Second},
			map[string]string{"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1741305600000", "Retry-After": "3"}},
		{"rounded up", Decision{Limit: 1, Reset: midnight.Add(time.Millisecond + 1), RetryAfter: 1200 * time.Millisecond},
			map[string]string{"X-RateLimit-Reset": "1741305600002", "Retry-After": "2"}},
		{"sub-second wait", Decision{Limit: 1, Reset: midnight, RetryAfter: time.Nanosecond},
			map[string]string{"Retry-After": "1"}},
		{"no reset", Decision{Limit: 1, RetryAfter: time.Minute},
			map[string]string{"X-RateLimit-Reset": "", "Retry-After": "60"}},
	} {
		h := http.Header{}
		WriteHeaders(h, c.d)
		for name, want := range c.want {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s %q, want %q", c.name, name, got, want)
			}
		}
	}
}

// TestWriteHeadersDecision renders a real denial: the wait is the
// decision's, the reset its end of the UTC day.
func TestWriteHeadersDecision(t *testing.T) {
	l := New(Options{})
	r := Rule{Key: "k", Limit: 1, Window: 24 * time.Hour, Fixed: true}
	now := time.Date(2025, 3, 6, 23, 58, 0, 500, time.UTC)
	l.CheckAt(now, r)
	h := http.Header{}
	WriteHeaders(h, l.CheckAt(now, r))
	if got := h.Get("Retry-After"); got != "120" {
		t.Errorf("Retry-After %q", got)
	}
	if got := h.Get("X-RateLimit-Reset"); got != "1741305600000" {
		t.Errorf("X-RateLimit-Reset %q", got)
	}
}
