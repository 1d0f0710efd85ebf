package openai

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unsafe"
)

// TestSpliceMessagesJSON checks that spliced messages are the bytes
// AppendMessagesJSON writes, with each long literal referred to where
// the client's request holds it, and that each reader reads them all.
func TestSpliceMessagesJSON(t *testing.T) {
	long := `"` + strings.Repeat(`long \"prompt\" `, SpliceMin/14) + `"`
	body := []byte(`{"model":"m","messages":[{"role":"system","content":"short"},` +
		`{"role":"user","content":` + long + `},{"role":"assistant","content":"ok"},` +
		`{"role":"user","content":` + long + `,"name":"n"}]}`)
	var req ChatRequest
	if err := DecodeChatRequest(body, &req); err != nil {
		t.Fatal(err)
	}
	want, err := AppendMessagesJSON([]byte("head:"), req.Messages)
	if err != nil {
		t.Fatal(err)
	}

	var s Spliced
	last, err := SpliceMessagesJSON(&s, []byte("head:"), req.Messages)
	if err != nil {
		t.Fatal(err)
	}
	s = append(s, last)
	if got := s.Bytes(); !bytes.Equal(got, want) {
		t.Fatalf("spliced:\n%.200s\nwant\n%.200s", got, want)
	}
	if s.Len() != len(want) {
		t.Errorf("Len = %d, want %d", s.Len(), len(want))
	}
	// Five pieces: written, literal, written, literal, written; each
	// literal in the client's body, not a copy.
	if len(s) != 5 {
		t.Fatalf("%d pieces, want 5", len(s))
	}
	for _, i := range []int{1, 3} {
		p := s[i]
		if string(p) != long {
			t.Errorf("piece %d is %.40q…, want the literal", i, p)
		}
		start := uintptr(unsafe.Pointer(unsafe.SliceData(body)))
		if at := uintptr(unsafe.Pointer(unsafe.SliceData(p))); at < start || at >= start+uintptr(len(body)) {
			t.Errorf("piece %d is a copy, not the client's bytes", i)
		}
	}
	if n := MessagesJSONSize(req.Messages, true); n < len(want)-2*len(long) || n > len(want) {
		t.Errorf("MessagesJSONSize(spliced) = %d for %d bytes written around %d spliced", n, len(want)-2*len(long), 2*len(long))
	}

	for i := range 2 { // a transport that sends the body again reads it anew
		got, err := io.ReadAll(s.Reader())
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("reader %d: %v, %d bytes, want %d", i, err, len(got), len(want))
		}
	}
	// internal/h1 sends the pieces themselves with the request's head.
	r, ok := s.Reader().(interface {
		io.ReadCloser
		io.WriterTo
		Buffers() [][]byte
	})
	if !ok {
		t.Fatalf("the reader of a text in pieces (%T) has no Buffers method", s.Reader())
	}
	if got := bytes.Join(r.Buffers(), nil); !bytes.Equal(got, want) {
		t.Errorf("Buffers hold %d bytes, want the text's %d", len(got), len(want))
	}
	var sb bytes.Buffer
	if n, err := r.WriteTo(&sb); err != nil || n != int64(len(want)) || !bytes.Equal(sb.Bytes(), want) {
		t.Errorf("WriteTo: %d, %v", n, err)
	}
}
