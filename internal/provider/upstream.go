package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// Helpers shared by adapters to turn an upstream's error answer into an
// *Error. Limits are parameters: each adapter keeps its own.

// ReadErrorBody reads at most limit bytes of an error response's body.
// Read errors are ignored: what was read is returned. The caller closes
// the body.
func ReadErrorBody(r io.Reader, limit int64) []byte {
	body, _ := io.ReadAll(io.LimitReader(r, limit))
	return body
}

// ClipBytes returns at most the first limit bytes of b as a string (for
// Error.Raw). It may split a rune.
func ClipBytes(b []byte, limit int) string {
	if len(b) > limit {
		b = b[:limit]
	}
	return string(b)
}

// ClipMessage bounds s to limit bytes without splitting a rune, marking a
// cut with "…".
func ClipMessage(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// RetryAfter reads the Retry-After header in seconds (floats allowed) or
// as an HTTP date relative to now, clamped to [0, limit]. It returns 0
// when the header is absent or unreadable.
func RetryAfter(h http.Header, now time.Time, limit time.Duration) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		return RetrySeconds(secs, limit)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), limit)
	}
	return 0
}

// RetrySeconds converts a back-off hint in seconds to a duration capped at
// limit; NaN and non-positive hints give 0.
func RetrySeconds(secs float64, limit time.Duration) time.Duration {
	if math.IsNaN(secs) || secs <= 0 {
		return 0
	}
	return time.Duration(math.Min(secs, limit.Seconds()) * float64(time.Second))
}

// ReadResponseBody reads a non-streamed response body of at most limit
// bytes (a whole number of MiB) and trims surrounding white space. A read
// error becomes an *Error for provider name (ctx's error when ctx is
// done); a longer body is a server error.
func ReadResponseBody(ctx context.Context, name string, r io.Reader, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, AsError(name, err)
	}
	if len(data) > limit {
		return nil, &Error{Provider: name, Type: "server", Message: fmt.Sprintf("upstream response exceeds %d MiB", limit>>20)}
	}
	return bytes.TrimSpace(data), nil
}

// ParseBaseURL returns base, or def when base is empty, checked to be an
// absolute http(s) URL: the first step of every adapter's factory.
func ParseBaseURL(slug, base, def string) (*url.URL, error) {
	if base == "" {
		base = def
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("provider %q: base URL %q is not an absolute http(s) URL", slug, base)
	}
	return u, nil
}

// NewPost is a POST of body to url with ctx. Its length is known and the
// transport can read it again, as for a bytes.Reader (for a body in
// pieces net/http knows neither): it can resend the request when a
// kept-alive connection turns out to be closed.
func NewPost(ctx context.Context, url string, body openai.Spliced) (*http.Request, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body.Reader())
	if err != nil {
		return nil, err
	}
	hr.ContentLength = int64(body.Len())
	hr.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(body.Reader()), nil }
	return hr, nil
}

// Do sends an upstream request built with its caller's context. A
// transport failure becomes a *Error (carrying the context's error when the
// context ended, so a client disconnect reads as one); a non-2xx answer is
// closed and converted by statusError, which reads its body.
func Do(client *http.Client, hr *http.Request, name string, statusError func(*http.Response) error) (*http.Response, error) {
	resp, err := Send(client, hr)
	if err != nil {
		if ctxErr := hr.Context().Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, AsError(name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, statusError(resp)
	}
	return resp, nil
}

// Send sends hr on client's transport. A client with no timeout, cookie
// jar or redirect policy of its own (the gateway's) adds nothing an upstream
// request needs, so hr goes to its transport directly, as
// httputil.ReverseProxy sends: a redirect from an LLM API comes back as
// the error it is instead of being followed, and the calling goroutine
// stays within the stack it has (a stream's handler holds its stack for as
// long as the stream lasts; http.Client's frames take 1.1 KB of it). Other
// clients (tests', with a timeout) get client.Do.
//
// The response does not keep its request (Response.Request is nil): a
// stream would otherwise hold the upstream body, the whole prompt, for as
// long as it lasts.
func Send(client *http.Client, hr *http.Request) (*http.Response, error) {
	var (
		resp *http.Response
		err  error
	)
	if client.Timeout != 0 || client.Jar != nil || client.CheckRedirect != nil {
		resp, err = client.Do(hr)
	} else {
		rt := client.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		resp, err = rt.RoundTrip(hr)
	}
	if resp != nil {
		resp.Request = nil
	}
	return resp, err
}

// StreamBody returns resp's body for a stream to read, and drops resp's
// headers, read by then: net/http's chunked body keeps its Response (for
// the trailers), and with it the headers, for as long as the stream lasts
// (half a KiB of every open stream).
func StreamBody(resp *http.Response) io.ReadCloser {
	resp.Header = nil
	return resp.Body
}

// maxMalformedRaw bounds the raw data kept in a Malformed error.
const maxMalformedRaw = 1 << 10

// Malformed is the error of an upstream body or stream event that cannot
// be decoded (what names it: "response", "event", "chunk"): a server
// fault, with the start of the data kept in Raw for the logs.
func Malformed(providerName, what string, data []byte, err error) *Error {
	msg := "upstream sent a malformed " + what
	if err != nil {
		msg += ": " + err.Error()
	}
	if len(bytes.TrimSpace(data)) == 0 {
		msg, err = "upstream sent an empty "+what, errors.New("empty body")
	}
	return &Error{Provider: providerName, Type: "server", Message: msg, Raw: ClipMessage(string(data), maxMalformedRaw), Err: err}
}
