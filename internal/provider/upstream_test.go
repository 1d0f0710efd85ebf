package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestReadErrorBody(t *testing.T) {
	if got := string(ReadErrorBody(strings.NewReader("0123456789"), 4)); got != "0123" {
		t.Errorf("bounded read = %q, want 0123", got)
	}
	if got := string(ReadErrorBody(strings.NewReader("abc"), 64)); got != "abc" {
		t.Errorf("short read = %q, want abc", got)
	}
}

func TestClipBytes(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"", 4, ""},
		{"abcd", 4, "abcd"},
		{"abcdef", 4, "abcd"},
		{"é", 1, "\xc3"}, // raw bytes: a rune may be split
	} {
		if got := ClipBytes([]byte(tc.in), tc.limit); got != tc.want {
			t.Errorf("ClipBytes(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestClipMessage(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 5, "abcde…"},
		{"aé", 2, "a…"},   // é is 2 bytes: cut before it
		{"aéb", 3, "aé…"}, // cut right after it
		{"日本語", 4, "日…"},
		{"日本語", 2, "…"},
	} {
		got := ClipMessage(tc.in, tc.limit)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("ClipMessage(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const limit = 24 * time.Hour
	for _, tc := range []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"0", 0},
		{"-3", 0},
		{"NaN", 0},
		{"Inf", limit},
		{"1e9", limit},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), limit},
		{"soon", 0},
	} {
		h := http.Header{}
		if tc.value != "" {
			h.Set("Retry-After", tc.value)
		}
		if got := RetryAfter(h, now, limit); got != tc.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tc.value, got, tc.want)
		}
	}
	h := http.Header{}
	h.Set("Retry-After", "120")
	if got := RetryAfter(h, now, time.Minute); got != time.Minute {
		t.Errorf("RetryAfter clamps to its limit: got %v, want 1m", got)
	}
}

func TestRetrySeconds(t *testing.T) {
	for _, tc := range []struct {
		secs float64
		want time.Duration
	}{
		{1.5, 1500 * time.Millisecond},
		{0, 0},
		{-1, 0},
		{1e12, time.Hour},
	} {
		if got := RetrySeconds(tc.secs, time.Hour); got != tc.want {
			t.Errorf("RetrySeconds(%v) = %v, want %v", tc.secs, got, tc.want)
		}
	}
}

type failReader struct{ err error }

func (r failReader) Read([]byte) (int, error) { return 0, r.err }

func TestReadResponseBody(t *testing.T) {
	ctx := context.Background()
	const limit = 1 << 20
	data, err := ReadResponseBody(ctx, "p", strings.NewReader("\n  {\"a\":1}\n"), limit)
	if err != nil || string(data) != `{"a":1}` {
		t.Errorf("trimmed body = %q, %v", data, err)
	}
	if data, err := ReadResponseBody(ctx, "p", strings.NewReader(strings.Repeat("x", limit)), limit); err != nil || len(data) != limit {
		t.Errorf("body of exactly limit bytes: len %d, %v", len(data), err)
	}
	_, err = ReadResponseBody(ctx, "p", strings.NewReader(strings.Repeat("x", limit+1)), limit)
	var pe *Error
	if !errors.As(err, &pe) || pe.Provider != "p" || pe.Type != "server" || pe.Message != "upstream response exceeds 1 MiB" {
		t.Errorf("oversized body: %#v", err)
	}
	_, err = ReadResponseBody(ctx, "p", failReader{io.ErrUnexpectedEOF}, limit)
	if !errors.As(err, &pe) || pe.Message != "upstream closed the connection unexpectedly" {
		t.Errorf("read error: %#v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = ReadResponseBody(cctx, "p", failReader{errors.New("conn reset")}, limit)
	if !errors.As(err, &pe) || !errors.Is(err, context.Canceled) {
		t.Errorf("read error after cancel: %#v", err)
	}
}

func TestParseBaseURL(t *testing.T) {
	if u, err := ParseBaseURL("x", "", "https://api.example/v1"); err != nil || u.String() != "https://api.example/v1" {
		t.Errorf("default: %v %v", u, err)
	}
	if u, err := ParseBaseURL("x", "http://127.0.0.1:9/v1", "https://api.example/v1"); err != nil || u.Host != "127.0.0.1:9" {
		t.Errorf("given: %v %v", u, err)
	}
	for _, bad := range []string{"api.example/v1", "ftp://h/", "http://", "::"} {
		if _, err := ParseBaseURL("x", bad, ""); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	statusErr := func(resp *http.Response) error { return &Error{Provider: "P", Status: resp.StatusCode} }
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ok", nil)
	resp, err := Do(srv.Client(), req, "P", statusErr)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ok: %v %v", resp, err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/bad", nil)
	var pe *Error
	if _, err := Do(srv.Client(), req, "P", statusErr); !errors.As(err, &pe) || pe.Status != http.StatusTeapot {
		t.Fatalf("status: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/ok", nil)
	if _, err := Do(srv.Client(), req, "P", statusErr); !errors.Is(err, context.Canceled) || !errors.As(err, &pe) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestSend checks that an upstream request goes to the client's transport
// directly unless the client has policies of its own, that redirects come
// back as they are, and that no response keeps its request.
func TestSend(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/v1", http.StatusTemporaryRedirect)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	rt := &countRT{rt: srv.Client().Transport}
	for _, tc := range []struct {
		name       string
		client     *http.Client
		path       string
		wantStatus int
		direct     bool
	}{
		{"gateway's client", &http.Client{Transport: rt}, "/v1", http.StatusOK, true},
		{"redirect not followed", &http.Client{Transport: rt}, "/moved", http.StatusTemporaryRedirect, true},
		{"client with a timeout", &http.Client{Transport: rt, Timeout: time.Minute}, "/moved", http.StatusOK, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rt.n
			hr, err := http.NewRequest(http.MethodPost, srv.URL+tc.path, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := Send(tc.client, hr)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if resp.Request != nil {
				t.Error("the response keeps its request (and so the upstream body)")
			}
			if calls := rt.n - before; tc.direct && calls != 1 || !tc.direct && calls != 2 {
				t.Errorf("%d round trips, want %d", calls, map[bool]int{true: 1, false: 2}[tc.direct])
			}
		})
	}
}

type countRT struct {
	rt http.RoundTripper
	n  int
}

func (c *countRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.rt.RoundTrip(r)
}

// TestStreamBody: a stream's body, its response's headers dropped, still
// reads to its end, trailers included (net/http's chunked body merges them
// into the Response it keeps).
func TestStreamBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Trailer", "X-Usage")
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush() // chunked
		io.WriteString(w, "data: two\n\n")
		w.Header().Set("X-Usage", "7")
	}))
	defer srv.Close()
	hr, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Send(srv.Client(), hr)
	if err != nil {
		t.Fatal(err)
	}
	body := StreamBody(resp)
	defer body.Close()
	if resp.Header != nil {
		t.Errorf("the response keeps its headers: %v", resp.Header)
	}
	b, err := io.ReadAll(body)
	if err != nil || string(b) != "data: one\n\ndata: two\n\n" {
		t.Fatalf("read %q, %v", b, err)
	}
	if got := resp.Trailer.Get("X-Usage"); got != "7" {
		t.Errorf("trailer X-Usage = %q, want 7", got)
	}
}
