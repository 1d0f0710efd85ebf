package sse_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/switchyard-dev/switchyard/internal/sse"
)

// ev is an Event with its data copied, for comparisons.
type ev struct{ Name, ID, Data string }

func (e ev) String() string { return fmt.Sprintf("{Name:%q ID:%q Data:%q}", e.Name, e.ID, e.Data) }

// readAll reads events until Next fails and returns them, the comments seen
// and the error that ended the stream.
func readAll(r io.Reader, maxSize int) (events []ev, comments []string, err error) {
	sr := sse.NewReader(r)
	if maxSize > 0 {
		sr.SetMaxEventSize(maxSize)
	}
	sr.Comments = func(text []byte) { comments = append(comments, string(text)) }
	events, err = collect(sr)
	return events, comments, err
}

// collect reads events until Next fails.
func collect(sr *sse.Reader) ([]ev, error) {
	var events []ev
	for {
		e, err := sr.Next()
		if err != nil {
			return events, err
		}
		events = append(events, ev{e.Name, e.ID, string(e.Data)})
	}
}

// readers returns ways of delivering in that must all decode alike.
func readers(in string) map[string]func() io.Reader {
	m := map[string]func() io.Reader{
		"whole":   func() io.Reader { return strings.NewReader(in) },
		"onebyte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
		"half":    func() io.Reader { return iotest.HalfReader(strings.NewReader(in)) },
		"dataerr": func() io.Reader { return iotest.DataErrReader(strings.NewReader(in)) },
	}
	// Two reads, split at every byte boundary.
	for i := 1; i < len(in) && len(in) <= 256; i++ {
		m[fmt.Sprintf("split%d", i)] = func() io.Reader {
			return io.MultiReader(strings.NewReader(in[:i]), strings.NewReader(in[i:]))
		}
	}
	return m
}

var readerTests = []struct {
	name     string
	in       string
	want     []ev
	comments []string
}{
	{name: "empty", in: ""},
	{name: "LF", in: "data: a\n\ndata: b\n\n", want: []ev{{Data: "a"}, {Data: "b"}}},
	{name: "CRLF", in: "data: a\r\n\r\ndata: b\r\n\r\n", want: []ev{{Data: "a"}, {Data: "b"}}},
	{name: "CR", in: "data: a\r\rdata: b\r\r", want: []ev{{Data: "a"}, {Data: "b"}}},
	{name: "mixed line ends", in: "data: a\r\ndata: b\rdata: c\n\r\n", want: []ev{{Data: "a\nb\nc"}}},
	{name: "CR CR is two line ends", in: "data: a\r\r\ndata: b\n\n", want: []ev{{Data: "a"}, {Data: "b"}}},
	{name: "no space", in: "data:a\n\n", want: []ev{{Data: "a"}}},
	{name: "only one space is removed", in: "data:  a \n\n", want: []ev{{Data: " a "}}},
	{name: "colon in value", in: "data: {\"a\":\"b:c\"}\n\n", want: []ev{{Data: `{"a":"b:c"}`}}},
	{name: "multi-line data", in: "data: {\ndata: \"a\": 1\ndata:}\n\n", want: []ev{{Data: "{\n\"a\": 1\n}"}}},
	{name: "empty data", in: "data\n\ndata:\n\ndata: \n\n", want: []ev{{}, {}, {}}},
	{name: "empty data lines", in: "data\ndata\n\n", want: []ev{{Data: "\n"}}},
	{name: "DONE", in: "data: {\"id\":\"1\"}\n\ndata: [DONE]\n\n", want: []ev{{Data: `{"id":"1"}`}, {Data: "[DONE]"}}},
	{
		name:     "comments",
		in:       ": SWITCHYARD PROCESSING\n\n:\n:ping\ndata: a\n: inside\ndata: b\n\n",
		want:     []ev{{Data: "a\nb"}},
		comments: []string{" SWITCHYARD PROCESSING", "", "ping", " inside"},
	},
	{
		name: "event names",
		in:   "event: message_start\ndata: 1\n\ndata: 2\n\nevent: a\nevent: b\ndata: 3\n\n",
		want: []ev{{Name: "message_start", Data: "1"}, {Data: "2"}, {Name: "b", Data: "3"}},
	},
	{
		name: "events without data are skipped",
		in:   "event: ping\n\nid: 1\n\nretry: 10\n\n: only a comment\n\ndata: a\n\n",
		want: []ev{{ID: "1", Data: "a"}}, comments: []string{" only a comment"},
	},
	{
		name: "id persists and resets",
		in:   "id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\x00\ndata: d\n\n",
		want: []ev{{ID: "1", Data: "a"}, {ID: "1", Data: "b"}, {Data: "c"}, {Data: "d"}},
	},
	{
		name: "unknown fields ignored",
		in:   "retry: 1000\nfoo: bar\nData: x\ndata : y\n data: z\ndata: a\n\n",
		want: []ev{{Data: "a"}},
	},
	{name: "leading blank lines", in: "\n\r\n\rdata: a\n\n", want: []ev{{Data: "a"}}},
	{name: "final event without blank line", in: "data: a\n\ndata: b\n", want: []ev{{Data: "a"}, {Data: "b"}}},
	{name: "final event without line end", in: "data: a\n\ndata: b", want: []ev{{Data: "a"}, {Data: "b"}}},
	{name: "final event ending in CR", in: "data: a\r", want: []ev{{Data: "a"}}},
	{name: "final line without data", in: "data: a\n\nevent: x", want: []ev{{Data: "a"}}},
	{name: "byte order mark", in: "\ufeffdata: a\n\n\ufeffdata: b\n\n", want: []ev{{Data: "a"}}},
	{name: "binary", in: "data: \x00\xff\xfe\u00e9\n\n", want: []ev{{Data: "\x00\xff\xfe\u00e9"}}},
}

func TestReader(t *testing.T) {
	for _, tt := range readerTests {
		t.Run(tt.name, func(t *testing.T) {
			for how, r := range readers(tt.in) {
				events, comments, err := readAll(r(), 0)
				if err != io.EOF {
					t.Errorf("%s: err = %v, want io.EOF", how, err)
				}
				if !slices.Equal(events, tt.want) {
					t.Errorf("%s: events = %v, want %v", how, events, tt.want)
				}
				if !slices.Equal(comments, tt.comments) {
					t.Errorf("%s: comments = %q, want %q", how, comments, tt.comments)
				}
			}
		})
	}
}

func TestReaderLongLines(t *testing.T) {
	for _, n := range []int{505, 506, 511, 512, 513, 1023, 1024, 1025, 4095, 4096, 4097, 64<<10 - 1, 64 << 10, 64<<10 + 1, 1 << 20, 1<<20 + 7} {
		data := strings.Repeat("x", n)
		in := ": " + data + "\n\ndata: " + data + "\r\ndata: " + data + "\n\ndata: end\n\n"
		want := []ev{{Data: data + "\n" + data}, {Data: "end"}}
		for how, r := range readers(in) {
			if how == "onebyte" && n > 64<<10 {
				continue // fine, but slow under the race detector
			}
			events, comments, err := readAll(r(), 0)
			if err != io.EOF || !slices.Equal(events, want) || len(comments) != 1 || comments[0] != " "+data {
				t.Errorf("%d bytes, %s: got %d events, %d comments, err %v", n, how, len(events), len(comments), err)
			}
		}
	}
}

func TestReaderMaxEventSize(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		in    string
		want  []ev // before the error
	}{
		{"one line", 10, "data: 0123456789x\n\n", nil},
		{"joined lines", 10, "data: 01234\ndata: 56789\n\n", nil},
		{"after a good event", 10, "data: 0123456789\n\ndata: 0123456789x\n\n", []ev{{Data: "0123456789"}}},
		{"unterminated line", 10, "data: " + strings.Repeat("x", 100000), nil},
		{"unterminated comment", 10, ":" + strings.Repeat("x", 100000), nil},
		{"at EOF", 10, "data: 0123456789x", nil},
		{"rest of the event", 10, "data: 0123456789x\ndata: 1\n\ndata: 2\n\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for how, r := range readers(tt.in) {
				sr := sse.NewReader(r())
				sr.SetMaxEventSize(tt.limit)
				events, err := collect(sr)
				if !errors.Is(err, sse.ErrEventTooLarge) {
					t.Errorf("%s: err = %v, want ErrEventTooLarge", how, err)
				}
				if !slices.Equal(events, tt.want) {
					t.Errorf("%s: events = %v, want %v", how, events, tt.want)
				}
				// The error is sticky: the rest of the event must not
				// come out as an event of its own.
				if e, err := sr.Next(); !errors.Is(err, sse.ErrEventTooLarge) {
					t.Errorf("%s: Next after the error = %q, %v; want ErrEventTooLarge", how, e.Data, err)
				}
			}
		})
	}
}

// An event of exactly the maximum size is fine, whatever the maximum, and
// however its data is framed; one byte more is too large.
func TestReaderMaxEventSizeBoundary(t *testing.T) {
	// Each framing returns a stream with n bytes of event data, and the data.
	framings := map[string]func(n int) (in, data string){
		"LF": func(n int) (string, string) {
			d := strings.Repeat("y", n)
			return "data: " + d + "\n\n", d
		},
		"CRLF, no space": func(n int) (string, string) {
			d := strings.Repeat("y", n)
			return "data:" + d + "\r\n\r\n", d
		},
		"leading space": func(n int) (string, string) {
			d := " " + strings.Repeat("y", n-1)
			return "data: " + d + "\n\n", d
		},
		"EOF": func(n int) (string, string) {
			d := strings.Repeat("y", n)
			return "data: " + d, d
		},
		"two lines": func(n int) (string, string) {
			a, b := strings.Repeat("a", (n-1)/2), strings.Repeat("b", n-1-(n-1)/2)
			return "data: " + a + "\ndata: " + b + "\n\n", a + "\n" + b
		},
	}
	for _, limit := range []int{1, 2, 10, 505, 506, 507, 512, 1017, 1018, 1024, 4089, 4090, 4091, 4095, 4096, 4097, 8190, 100000} {
		for name, framing := range framings {
			in, data := framing(limit)
			for how, r := range map[string]io.Reader{
				"whole": strings.NewReader(in),
				"half":  iotest.HalfReader(strings.NewReader(in)),
			} {
				events, _, err := readAll(r, limit)
				if err != io.EOF || len(events) != 1 || events[0].Data != data {
					t.Errorf("limit %d, %s, %s: %d events, err %v", limit, name, how, len(events), err)
				}
			}
			in, _ = framing(limit + 1)
			if _, _, err := readAll(strings.NewReader(in), limit); !errors.Is(err, sse.ErrEventTooLarge) {
				t.Errorf("limit %d, %s, one byte more: err %v, want ErrEventTooLarge", limit, name, err)
			}
		}
	}
}

// A hostile upstream that never ends a line must not make the reader
// buffer much more than the maximum event size.
func TestReaderEndlessLine(t *testing.T) {
	const limit = 1 << 10
	for _, line := range []string{"data: x", ":", "x"} {
		cr := &countingReader{r: io.MultiReader(strings.NewReader(line), endless('x'))}
		_, _, err := readAll(cr, limit)
		if !errors.Is(err, sse.ErrEventTooLarge) {
			t.Errorf("%q: err = %v, want ErrEventTooLarge", line, err)
		}
		if cr.n > 2*limit+4096 {
			t.Errorf("%q: read %d bytes before giving up", line, cr.n)
		}
	}
}

type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

type countingReader struct {
	r     io.Reader
	n     int // bytes read
	reads int // calls to Read
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	c.reads++
	return n, err
}

func TestReaderReadError(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name string
		in   string
		want []ev
	}{
		{"mid event", "data: a\n\ndata: b\n", []ev{{Data: "a"}}},
		{"mid line", "data: a\n\ndata: b", []ev{{Data: "a"}}},
		{"between events", "data: a\n\n", []ev{{Data: "a"}}},
		{"before anything", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for how, r := range readers(tt.in) {
				sr := sse.NewReader(io.MultiReader(r(), iotest.ErrReader(errBoom)))
				events, err := collect(sr)
				if err != errBoom {
					t.Errorf("%s: err = %v, want %v", how, err, errBoom)
				}
				if !slices.Equal(events, tt.want) {
					t.Errorf("%s: events = %v, want %v", how, events, tt.want)
				}
				if _, err := sr.Next(); err != errBoom {
					t.Errorf("%s: Next after the error = %v, want %v again", how, err, errBoom)
				}
			}
		})
	}
}

// Data is valid until the next call only, and the reader reuses it.
func TestReaderDataReused(t *testing.T) {
	r := sse.NewReader(strings.NewReader("data: first\n\ndata: second\n\n"))
	e1, _ := r.Next()
	kept := bytes.Clone(e1.Data)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if string(kept) != "first" {
		t.Errorf("copy of first event = %q", kept)
	}
}

func TestWriter(t *testing.T) {
	rec := httptest.NewRecorder()
	w := sse.NewWriter(rec)
	if err := w.Comment("SWITCHYARD PROCESSING"); err != nil {
		t.Fatal(err)
	}
	if !rec.Flushed {
		t.Error("comment was not flushed")
	}
	for _, d := range []string{`{"a":1}`, "", "[DONE]"} {
		if err := w.Data([]byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	const want = ": SWITCHYARD PROCESSING\n\ndata: {\"a\":1}\n\ndata: \n\ndata: [DONE]\n\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
	events, comments, err := readAll(strings.NewReader(rec.Body.String()), 0)
	if err != io.EOF || !slices.Equal(events, []ev{{Data: `{"a":1}`}, {}, {Data: "[DONE]"}}) ||
		!slices.Equal(comments, []string{" SWITCHYARD PROCESSING"}) {
		t.Errorf("read back %v, comments %q, err %v", events, comments, err)
	}
}

func TestWriterFlushesEachEvent(t *testing.T) {
	rec := httptest.NewRecorder()
	w := sse.NewWriter(rec)
	if err := w.Data([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if !rec.Flushed {
		t.Error("Data did not flush")
	}
}

func TestWriterRejectsLineBreaks(t *testing.T) {
	for _, s := range []string{"a\nb", "a\rb", "a\r\n", "\n"} {
		var buf bytes.Buffer
		w := sse.NewWriter(&buf)
		if err := w.Data([]byte(s)); err == nil {
			t.Errorf("Data(%q) succeeded", s)
		}
		if err := w.Comment(s); err == nil {
			t.Errorf("Comment(%q) succeeded", s)
		}
		if buf.Len() != 0 {
			t.Errorf("%q: wrote %q", s, buf.String())
		}
	}
}

// A plain io.Writer, or a ResponseWriter that cannot flush, still works.
func TestWriterWithoutFlush(t *testing.T) {
	var buf bytes.Buffer
	if err := sse.NewWriter(&buf).Data([]byte("a")); err != nil || buf.String() != "data: a\n\n" {
		t.Errorf("io.Writer: %q, %v", buf.String(), err)
	}
	rec := httptest.NewRecorder()
	w := sse.NewWriter(noFlush{rec})
	if err := w.Data([]byte("a")); err != nil {
		t.Errorf("ResponseWriter without Flush: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Errorf("Flush: %v", err)
	}
	if rec.Flushed {
		t.Error("flushed through a writer that hides Flush")
	}
}

// noFlush hides the recorder's Flush method.
type noFlush struct{ rec *httptest.ResponseRecorder }

func (n noFlush) Header() http.Header         { return n.rec.Header() }
func (n noFlush) Write(b []byte) (int, error) { return n.rec.Write(b) }
func (n noFlush) WriteHeader(code int)        { n.rec.WriteHeader(code) }

func TestWriterError(t *testing.T) {
	errBoom := errors.New("boom")
	for i := range 3 {
		w := sse.NewWriter(&failingWriter{after: i, err: errBoom})
		if err := w.Data([]byte("a")); err != errBoom {
			t.Errorf("write %d fails: Data = %v, want %v", i, err, errBoom)
		}
	}
	if err := sse.NewWriter(&failingWriter{err: errBoom}).Comment("x"); err != errBoom {
		t.Errorf("Comment = %v, want %v", err, errBoom)
	}
}

type failingWriter struct {
	after int
	err   error
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after == 0 {
		return 0, f.err
	}
	f.after--
	return len(p), nil
}

// checkReader reads all events and checks the reader's invariants: no
// event larger than limit, only io.EOF or ErrEventTooLarge as errors, and
// errors are sticky.
func checkReader(t *testing.T, r io.Reader, limit int) ([]ev, error) {
	sr := sse.NewReader(r)
	sr.SetMaxEventSize(limit)
	events, err := collect(sr)
	for _, e := range events {
		if len(e.Data) > limit {
			t.Fatalf("event of %d bytes with limit %d", len(e.Data), limit)
		}
	}
	if err != io.EOF && !errors.Is(err, sse.ErrEventTooLarge) {
		t.Fatalf("unexpected error %v", err)
	}
	if e, err2 := sr.Next(); err2 != err {
		t.Fatalf("after %v, Next returned %v, %q", err, err2, e.Data)
	}
	return events, err
}

func FuzzReader(f *testing.F) {
	for _, tt := range readerTests {
		f.Add([]byte(tt.in), uint16(0), uint8(0))
		f.Add([]byte(tt.in), uint16(3), uint8(4))
	}
	f.Add([]byte(openAIStream), uint16(200), uint8(255))
	f.Add([]byte("data: 0123456789x\ndata: 1\n\ndata: 2\n\n"), uint16(10), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, max16 uint16, chunk uint8) {
		limit := int(max16)
		if limit == 0 {
			limit = sse.DefaultMaxEventSize
		}
		// However the input is split into reads, it decodes alike.
		want, wantErr := checkReader(t, bytes.NewReader(in), limit)
		got, err := checkReader(t, &chunkReader{r: bytes.NewReader(in), n: int(chunk) + 1}, limit)
		if err != wantErr || !slices.Equal(got, want) {
			t.Fatalf("in reads of %d bytes: %v, %v; in one: %v, %v", int(chunk)+1, got, err, want, wantErr)
		}

		// Round trip: what Data and Comment accept reads back unchanged,
		// even when the reader's maximum is the longest event written.
		// They accept the whole input if it has no line break, and each
		// of its lines.
		var buf bytes.Buffer
		w := sse.NewWriter(&buf)
		var writes [][]byte
		if bytes.ContainsAny(in, "\r\n") {
			if w.Data(in) == nil || w.Comment(string(in)) == nil || buf.Len() != 0 {
				t.Fatalf("Data or Comment accepted %q", in)
			}
		} else {
			writes = append(writes, in)
		}
		writes = append(writes, bytes.FieldsFunc(in, func(r rune) bool { return r == '\n' || r == '\r' })...)
		longest := 1
		for _, d := range writes {
			longest = max(longest, len(d))
			if err := w.Data(d); err != nil {
				t.Fatal(err)
			}
			if err := w.Comment(string(d)); err != nil {
				t.Fatal(err)
			}
		}
		events, comments, err := readAll(&buf, longest)
		if err != io.EOF || len(events) != len(writes) || len(comments) != len(writes) {
			t.Fatalf("wrote %d events, read %d events, %d comments, err %v", len(writes), len(events), len(comments), err)
		}
		for i, d := range writes {
			if events[i] != (ev{Data: string(d)}) || comments[i] != " "+string(d) {
				t.Fatalf("wrote %q, read %v and comment %q", d, events[i], comments[i])
			}
		}
	})
}

// openAIStream is a realistic chat completion stream: a role chunk, 18
// content chunks and a final chunk with usage, then [DONE].
var openAIStream = func() string {
	const head = `{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_fc9f1d7035",`
	var b strings.Builder
	fmt.Fprintf(&b, "data: %s\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":\"r4N7vQ2m\"}\n\n", head)
	words := strings.Fields("The image shows a wooden boardwalk path running through a lush green field or meadow under a bright blue sky.")
	for i := range 18 {
		fmt.Fprintf(&b, "data: %s\"choices\":[{\"index\":0,\"delta\":{\"content\":\" %s\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":\"p9K3xT6w\"}\n\n", head, words[i%len(words)])
	}
	fmt.Fprintf(&b, "data: %s\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1117,\"completion_tokens\":46,\"total_tokens\":1163,\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}\n\n", head)
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}()

func TestOpenAIStream(t *testing.T) {
	events, _, err := readAll(strings.NewReader(openAIStream), 0)
	if err != io.EOF || len(events) != 21 || events[20].Data != "[DONE]" {
		t.Fatalf("%d events, err %v", len(events), err)
	}
}

// BenchmarkReader reads the stream with a new Reader, as for each request.
func BenchmarkReader(b *testing.B) {
	var r strings.Reader
	b.SetBytes(int64(len(openAIStream)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(openAIStream)
		sr := sse.NewReader(&r)
		for {
			if _, err := sr.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

// BenchmarkReaderOneByte is the worst case of a body that trickles in.
func BenchmarkReaderOneByte(b *testing.B) {
	var r strings.Reader
	b.SetBytes(int64(len(openAIStream)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(openAIStream)
		sr := sse.NewReader(iotest.OneByteReader(&r))
		for {
			if _, err := sr.Next(); err != nil {
				break
			}
		}
	}
}

// BenchmarkReaderLongLine reads one 1 MiB event arriving 4 KiB at a time.
func BenchmarkReaderLongLine(b *testing.B) {
	in := "data: " + strings.Repeat("x", 1<<20) + "\n\n"
	var r strings.Reader
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(in)
		sr := sse.NewReader(&chunkReader{r: &r, n: 4096})
		if _, err := sr.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

// chunkReader returns at most n bytes per Read, as a network body does.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	return c.r.Read(p[:min(len(p), c.n)])
}

func BenchmarkWriter(b *testing.B) {
	data := []byte(strings.SplitN(openAIStream, "\n", 2)[0][len("data: "):])
	b.ReportAllocs()
	for b.Loop() {
		w := sse.NewWriter(io.Discard)
		for range 20 {
			if err := w.Data(data); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// loop is an endless stream repeating s.
type loop struct {
	s   string
	off int
}

func (l *loop) Read(p []byte) (int, error) {
	n := copy(p, l.s[l.off:])
	l.off = (l.off + n) % len(l.s)
	return n, nil
}

// Once its buffers have grown, the reader allocates nothing per event,
// except for an id field or a new event name: Event.ID and Event.Name are
// strings.
func TestReaderAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	tests := []struct {
		name, stream string
		allocs       float64
	}{
		{"OpenAI", openAIStream, 0},
		{"keep-alive", ": SWITCHYARD PROCESSING\n\n" + openAIStream, 0},
		{"CRLF", strings.ReplaceAll(openAIStream, "\n", "\r\n"), 0},
		{"CR", strings.ReplaceAll(openAIStream, "\n", "\r"), 0},
		// An event name costs an allocation only when it changes.
		{"named", "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n", 0},
		{"names changing", "event: a\ndata: 1\n\nevent: b\ndata: 2\n\n", 1},
		{"id", "id: 1\ndata: a\n\nid: 2\ndata: b\n\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sse.NewReader(&loop{s: tt.stream})
			r.Comments = func([]byte) {}
			next := func() {
				if _, err := r.Next(); err != nil {
					t.Fatal(err)
				}
			}
			for range 100 {
				next() // warm up
			}
			if n := testing.AllocsPerRun(1000, next); n > tt.allocs {
				t.Errorf("%v allocations per event, want at most %v", n, tt.allocs)
			}
		})
	}
}

// TestReaderKeepsNoCopy: an event of one data line that arrives whole is
// handed over in the reader's buffer, not copied: a fresh reader's first
// event costs no allocation beyond the reader itself, so a stream waiting
// for its next event holds no copy of the last one.
func TestReaderKeepsNoCopy(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage instrumentation and the race detector allocate")
	}
	const event = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
	var src strings.Reader
	fresh := func() *sse.Reader {
		src.Reset(event)
		return sse.NewReader(&src)
	}
	base := testing.AllocsPerRun(100, func() { fresh() })
	first := testing.AllocsPerRun(100, func() {
		if _, err := fresh().Next(); err != nil {
			t.Fatal(err)
		}
	})
	if first > base {
		t.Errorf("a fresh reader's first event allocates %v times beyond the reader's %v", first-base, base)
	}
}

// TestReaderBurst: events sent together are drained in few reads, and
// EventBuffered sees them, though the buffer starts small for idle
// streams: it grows while reads keep filling it.
func TestReaderBurst(t *testing.T) {
	var in strings.Builder
	const events = 40
	for i := range events {
		fmt.Fprintf(&in, "data: {\"id\":\"chatcmpl-%d\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n", i, strings.Repeat("w", 100))
	}
	cr := &countingReader{r: strings.NewReader(in.String())}
	r := sse.NewReader(cr)
	waits := 0
	for i := range events {
		if !r.EventBuffered() {
			waits++
		}
		if _, err := r.Next(); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	// 6.4 KB arrive as 512 + 1 KiB + 2 KiB + 4 KiB reads, not 13 of 512,
	// and only the first event is waited for: a read that filled the
	// buffer stopped inside an event whose rest is at hand.
	if cr.reads > 5 || waits > 1 {
		t.Errorf("%d reads and %d waits for %d events sent together, want at most 5 reads and 1 wait", cr.reads, waits, events)
	}
}

// TestEventBufferedPartial: an event cut by the network, not by the
// buffer's size, is waited for.
func TestEventBufferedPartial(t *testing.T) {
	pr, pw := io.Pipe()
	r := sse.NewReader(pr)
	go func() {
		io.WriteString(pw, "data: {\"a\":1}\n\ndata: {\"a\"")
		io.WriteString(pw, ":2}\n\n")
		pw.Close()
	}()
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if r.EventBuffered() {
		t.Error("EventBuffered with half an event from a read that did not fill the buffer")
	}
	if ev, err := r.Next(); err != nil || string(ev.Data) != `{"a":2}` {
		t.Fatalf("second event %q, %v", ev.Data, err)
	}
}
