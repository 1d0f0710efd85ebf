package ratelimit

import (
	"testing"
	"time"
)

func TestFreeVariantPerMinute(t *testing.T) {
	l := New(Options{})
	now := t0.Add(5 * time.Second)
	for i := range FreePerMinute {
		d := FreeVariant(l, 1, false, now)
		if !d.Allowed {
			t.Fatalf("request %d: %+v", i, d)
		}
		// The minute binds until the day has fewer left.
		if wantRemaining := min(FreePerMinute-1-i, FreePerDay-1-i); d.Remaining != wantRemaining {
			t.Fatalf("request %d: remaining %d, want %d", i, d.Remaining, wantRemaining)
		}
	}
	d := FreeVariant(l, 1, false, now)
	if d.Allowed || d.Reason != ReasonFreePerMinute || d.Limit != FreePerMinute || d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
		t.Fatalf("21st: %+v", d)
	}
	if got, want := d.Message(), "Rate limit exceeded: free-models-per-minute."; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	// Another account has its own limits.
	if d := FreeVariant(l, 2, false, now); !d.Allowed {
		t.Errorf("account 2: %+v", d)
	}
	// The minute's denials did not count against the day: 30 more fit
	// over the next minutes.
	allowed := 0
	for i := range 200 {
		if FreeVariant(l, 1, false, now.Add(time.Duration(i+1)*10*time.Second)).Allowed {
			allowed++
		}
	}
	if allowed != FreePerDay-FreePerMinute {
		t.Errorf("%d more allowed in the day, want %d", allowed, FreePerDay-FreePerMinute)
	}
}

func TestFreeVariantPerDay(t *testing.T) {
	tomorrow := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		purchased bool
		limit     int
		reason    string
		message   string
	}{
		{false, FreePerDay, ReasonFreePerDay,
			"Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day"},
		{true, FreePerDayHighBalance, ReasonFreePerDayHighBalance,
			"Rate limit exceeded: free-models-per-day-high-balance."},
	} {
		l := New(Options{})
		// Paced at 15 a minute, under the minute's limit.
		now := t0
		for i := range c.limit {
			if d := FreeVariant(l, 7, c.purchased, now); !d.Allowed {
				t.Fatalf("purchased=%v: request %d: %+v", c.purchased, i, d)
			}
			now = now.Add(4 * time.Second)
		}
		d := FreeVariant(l, 7, c.purchased, now)
		if d.Allowed || d.Reason != c.reason || d.Limit != c.limit || d.Remaining != 0 ||
			!d.Reset.Equal(tomorrow) || d.RetryAfter != tomorrow.Sub(now) {
			t.Fatalf("purchased=%v: over the day's limit: %+v", c.purchased, d)
		}
		if got := d.Message(); got != c.message {
			t.Errorf("purchased=%v: message %q, want %q", c.purchased, got, c.message)
		}
		if d := FreeVariant(l, 7, c.purchased, tomorrow); !d.Allowed {
			t.Errorf("purchased=%v: next UTC day: %+v", c.purchased, d)
		}
	}
}

// TestFreeVariantUpgrade: both daily tiers share one count, so buying
// credits mid-day lifts the limit without forgetting the day's requests.
func TestFreeVariantUpgrade(t *testing.T) {
	l := New(Options{})
	now := t0
	next := func(purchased bool) Decision {
		now = now.Add(4 * time.Second) // 15 a minute, under the minute's limit
		return FreeVariant(l, 7, purchased, now)
	}
	for i := range FreePerDay {
		if d := next(false); !d.Allowed {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	if d := next(false); d.Allowed || d.Reason != ReasonFreePerDay {
		t.Fatalf("over %d: %+v", FreePerDay, d)
	}
	allowed := 0
	for {
		d := next(true)
		if !d.Allowed {
			if d.Reason != ReasonFreePerDayHighBalance || d.Limit != FreePerDayHighBalance {
				t.Fatalf("after %d: %+v", allowed, d)
			}
			break
		}
		allowed++
	}
	if allowed != FreePerDayHighBalance-FreePerDay {
		t.Errorf("%d allowed after the purchase, want %d", allowed, FreePerDayHighBalance-FreePerDay)
	}
}

func TestMessage(t *testing.T) {
	for _, c := range []struct{ reason, want string }{
		{"", "Rate limit exceeded"},
		{"requests-per-minute", "Rate limit exceeded: requests-per-minute."},
		{ReasonFreePerMinute, "Rate limit exceeded: free-models-per-minute."},
	} {
		if got := (Decision{Reason: c.reason}).Message(); got != c.want {
			t.Errorf("%q: %q, want %q", c.reason, got, c.want)
		}
	}
}
