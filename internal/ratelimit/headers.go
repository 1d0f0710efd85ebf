package ratelimit

import (
	"net/http"
	"strconv"
	"time"
)

// WriteHeaders sets the rate-limit response headers of d on h, as
// OpenRouter sends them on its 429s: X-RateLimit-Limit,
// X-RateLimit-Remaining, X-RateLimit-Reset (d.Reset in Unix milliseconds,
// rounded up; omitted for a zero Reset) and, when d is not Allowed,
// Retry-After in whole seconds rounded up (at least 1). Rounding up keeps a
// client that waits as told from arriving early. Names are set in Go's
// canonical form (X-Ratelimit-Limit); HTTP header names are
// case-insensitive.
func WriteHeaders(h http.Header, d Decision) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
	if !d.Reset.IsZero() {
		h.Set("X-RateLimit-Reset", strconv.FormatInt(resetMillis(d.Reset), 10))
	}
	if !d.Allowed {
		h.Set("Retry-After", strconv.FormatInt(retrySeconds(d.RetryAfter), 10))
	}
}

// resetMillis returns t in Unix milliseconds, rounded up.
func resetMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) != 0 { // UnixMilli rounds down
		ms++
	}
	return ms
}

// retrySeconds rounds d up to whole seconds, at least 1.
func retrySeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
