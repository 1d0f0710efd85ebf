package providertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// Reply is one scripted upstream answer of a Replay fake, as stored in a
// fixture file. A fixture is one Reply object or an array of them, served
// in order to successive POSTs.
//
//	{"status": 200, "framing": "sse",
//	 "events": [{"event": "message_start", "data": {…}}, …]}
type Reply struct {
	// Status is the HTTP status; 0 means 200.
	Status int `json:"status,omitempty"`
	// Headers are response headers (Content-Type defaults per framing).
	Headers map[string]string `json:"headers,omitempty"`
	// Framing is how Body or Events are written: "json" (the default:
	// Body as the whole response), "sse", "ndjson" or "aws" (the binary
	// AWS event-stream).
	Framing string `json:"framing,omitempty"`
	// Body is the whole body of a "json" reply: a JSON value written
	// compactly, or a JSON string written as its raw text.
	Body json.RawMessage `json:"body,omitempty"`
	// Events are the events of a streamed reply.
	Events []ReplayEvent `json:"events,omitempty"`
	// HangAfter, when set, makes the fake stop after that many events
	// and hold the connection open until the client goes away (a client
	// cancel test) instead of ending the body.
	HangAfter *int `json:"hang_after,omitempty"`
}

// ReplayEvent is one event of a streamed Reply.
type ReplayEvent struct {
	// Event is the SSE event name or the AWS :event-type.
	Event string `json:"event,omitempty"`
	// Data is the payload: a JSON value written compactly, or a JSON
	// string written as its raw text (for "[DONE]").
	Data json.RawMessage `json:"data,omitempty"`
	// Bytes, for "aws" framing, is a JSON value sent as
	// {"bytes": base64(compact JSON)} — the envelope of Bedrock
	// InvokeModel stream chunks.
	Bytes json.RawMessage `json:"bytes,omitempty"`
	// Comment is an SSE comment line (a keep-alive) written instead.
	Comment string `json:"comment,omitempty"`
	// MessageType ("event", "exception", "error"), ExceptionType,
	// ErrorCode and ErrorMessage are AWS event-stream headers.
	MessageType   string `json:"message_type,omitempty"`
	ExceptionType string `json:"exception_type,omitempty"`
	ErrorCode     string `json:"error_code,omitempty"`
	ErrorMessage  string `json:"error_message,omitempty"`
}

// ImagePNG is the image a Replay fake serves at GET /image.png: a 1×1 red
// PNG.
var ImagePNG = []byte{
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
	0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
	0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
	0x44, 0xae, 0x42, 0x60, 0x82,
}

// Replay is a fake upstream that answers POSTs with scripted Replies and
// records what it received. It serves ImagePNG at GET /image.png so that
// adapters which must inline images have something to fetch.
type Replay struct {
	// URL is the fake's root (no path).
	URL string

	t    testing.TB
	srv  *httptest.Server
	stop chan struct{}

	mu      sync.Mutex
	replies []Reply
	reqs    []*Request
	fetches int // GET /image.png served
}

// NewReplay starts a Replay fake, closed when the test ends.
func NewReplay(t testing.TB) *Replay {
	t.Helper()
	r := &Replay{t: t, stop: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	t.Cleanup(func() {
		close(r.stop)
		r.srv.Close()
	})
	return r
}

// LoadReplies reads a fixture file: one Reply or an array of them.
func LoadReplies(path string) ([]Reply, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	var replies []Reply
	if len(data) > 0 && data[0] == '{' {
		var one Reply
		err = json.Unmarshal(data, &one)
		replies = []Reply{one}
	} else {
		err = json.Unmarshal(data, &replies)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return replies, nil
}

// Script queues replies for the next POSTs.
func (r *Replay) Script(replies ...Reply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replies = append(r.replies, replies...)
}

// Requests returns the POSTs received so far, oldest first.
func (r *Replay) Requests() []*Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Request(nil), r.reqs...)
}

// ImageFetches reports how many times /image.png was served.
func (r *Replay) ImageFetches() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetches
}

func (r *Replay) serve(w http.ResponseWriter, hr *http.Request) {
	if hr.Method == http.MethodGet && hr.URL.Path == "/image.png" {
		r.mu.Lock()
		r.fetches++
		r.mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(ImagePNG)
		return
	}
	body, _ := io.ReadAll(hr.Body)
	rec := &Request{
		Method:   hr.Method,
		Path:     hr.URL.EscapedPath(),
		Query:    hr.URL.RawQuery,
		Header:   hr.Header.Clone(),
		Body:     body,
		canceled: make(chan struct{}),
	}
	_ = json.Unmarshal(body, &rec.JSON)
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	var reply Reply
	ok := len(r.replies) > 0
	if ok {
		reply, r.replies = r.replies[0], r.replies[1:]
	}
	r.mu.Unlock()
	defer func() {
		if hr.Context().Err() != nil {
			rec.markCanceled()
		}
	}()
	if !ok {
		r.t.Errorf("providertest: replay fake got an unscripted %s %s", hr.Method, hr.URL.Path)
		http.Error(w, `{"error":"no reply scripted"}`, http.StatusInternalServerError)
		return
	}
	if err := r.write(w, hr, &reply); err != nil {
		r.t.Errorf("providertest: replay: %v", err)
	}
}

func (r *Replay) write(w http.ResponseWriter, hr *http.Request, reply *Reply) error {
	contentType := map[string]string{
		"": "application/json", "json": "application/json", "sse": "text/event-stream",
		"ndjson": "application/x-ndjson", "aws": "application/vnd.amazon.eventstream",
	}[reply.Framing]
	if contentType == "" {
		return fmt.Errorf("unknown framing %q", reply.Framing)
	}
	w.Header().Set("Content-Type", contentType)
	for k, v := range reply.Headers {
		w.Header().Set(k, v)
	}
	status := reply.Status
	if status == 0 {
		status = http.StatusOK
	}
	if reply.Framing == "" || reply.Framing == "json" {
		w.WriteHeader(status)
		_, err := w.Write(payload(reply.Body))
		return err
	}
	w.WriteHeader(status)
	flusher, _ := w.(http.Flusher)
	enc := eventstream.NewEncoder()
	for i, ev := range reply.Events {
		if reply.HangAfter != nil && i == *reply.HangAfter {
			break
		}
		b, err := frame(enc, reply.Framing, &ev)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return nil // the client went away
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
	if reply.HangAfter != nil {
		select {
		case <-hr.Context().Done():
		case <-r.stop:
		}
	}
	return nil
}

// frame renders one event in the reply's framing.
func frame(enc *eventstream.Encoder, framing string, ev *ReplayEvent) ([]byte, error) {
	data := payload(ev.Data)
	if len(ev.Bytes) > 0 {
		env, err := json.Marshal(map[string]string{"bytes": base64.StdEncoding.EncodeToString(payload(ev.Bytes))})
		if err != nil {
			return nil, err
		}
		data = env
	}
	var b bytes.Buffer
	switch framing {
	case "sse":
		if ev.Comment != "" {
			fmt.Fprintf(&b, ": %s\n\n", ev.Comment)
			return b.Bytes(), nil
		}
		if ev.Event != "" {
			fmt.Fprintf(&b, "event: %s\n", ev.Event)
		}
		fmt.Fprintf(&b, "data: %s\n\n", data)
	case "ndjson":
		b.Write(data)
		b.WriteByte('\n')
	case "aws":
		msg := eventstream.Message{Payload: data}
		mt := ev.MessageType
		if mt == "" {
			mt = "event"
		}
		msg.Headers.Set(":message-type", eventstream.StringValue(mt))
		switch mt {
		case "event":
			msg.Headers.Set(":event-type", eventstream.StringValue(ev.Event))
			msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		case "exception":
			msg.Headers.Set(":exception-type", eventstream.StringValue(ev.ExceptionType))
			msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		case "error":
			msg.Headers.Set(":error-code", eventstream.StringValue(ev.ErrorCode))
			msg.Headers.Set(":error-message", eventstream.StringValue(ev.ErrorMessage))
		}
		if err := enc.Encode(&b, msg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown framing %q", framing)
	}
	return b.Bytes(), nil
}

// payload renders a fixture value: a JSON string as its raw text, any
// other JSON value compactly.
func payload(raw json.RawMessage) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return []byte(s)
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// fixtureURL replaces the replay fake's address in s with a stable
// placeholder, so that goldens do not depend on the port.
func (r *Replay) fixtureURL(s string) string { return strings.ReplaceAll(s, r.URL, "{{FAKE}}") }
