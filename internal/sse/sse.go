// Package sse reads and writes Server-Sent Events (text/event-stream) as
// specified by the WHATWG HTML standard, §9.2, for every streaming upstream
// and for Switchyard's own streams.
//
// The Reader has no line-length limit of its own (unlike bufio.Scanner's
// 64 KiB default): it accepts LF, CRLF and lone CR line endings, comment
// lines, "data:" with or without a space, multi-line data, and event and id
// fields. A configurable maximum event size bounds memory against a hostile
// upstream.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// DefaultMaxEventSize bounds one event's data. Real events are far smaller;
// the bound exists so a runaway upstream cannot exhaust memory.
const DefaultMaxEventSize = 32 << 20

// ErrEventTooLarge is returned when an event exceeds the reader's maximum size.
var ErrEventTooLarge = errors.New("sse: event too large")

// Event is one dispatched event. Data is only valid until the next call to
// Next; copy it to keep it.
type Event struct {
	Name string // the "event:" field, "" for the default message type
	ID   string
	Data []byte
}

// Reader decodes events from a stream.
type Reader struct {
	r          io.Reader
	buf        []byte // buffered input: buf[start:end] is unread
	start, end int
	scanned    int   // buf[start:start+scanned] holds no line end
	err        error // sticky read error, returned once the buffer drains
	skipLF     bool  // the last line ended in CR: a following LF belongs to it
	burst      bool  // the last read filled the buffer, so it may grow
	started    bool  // a line has been read, so a byte order mark is data
	// first is the value of the event's first data line, where it is in
	// buf (see pin); data holds an event's data once it has two lines, or
	// once buf had to move the first.
	first    []byte
	pinned   bool
	data     []byte
	name     string
	lastName string // the previous event name, reused to save allocations
	id       string
	maxSize  int
	// Comments, when non-nil, receives each comment line's text (without
	// the leading colon), valid only during the call. Keep-alives from
	// upstreams arrive here.
	Comments func(text []byte)
}

// initialBufferSize is the Reader's buffer to start with: a usual event
// line (a chunk of a few tokens) fits, and the buffer doubles when a line
// does not, or when reads keep filling it (see burstBufferSize). It is held for as long as the stream lasts, so idle streams
// (a model thinking, a client holding a connection open) cost less with a
// small one; the bytes it would save in reads come from the HTTP client's
// own buffer, not the network.
const initialBufferSize = 512

// burstBufferSize is how far the buffer grows, doubling, when reads keep
// filling it: an upstream that sends many events together.
const burstBufferSize = 4096

// NewReader returns a Reader on r with DefaultMaxEventSize.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, buf: make([]byte, initialBufferSize), maxSize: DefaultMaxEventSize}
}

// SetMaxEventSize changes the maximum event size.
func (r *Reader) SetMaxEventSize(n int) { r.maxSize = n }

// EventBuffered reports whether the next Next will not wait for the
// network: a whole event (up to its blank line) is in the reader's buffer,
// or the last read filled the buffer and stopped inside an event. The rest
// of that event was sent with it (the read took all the buffer had room
// for), so it is in the source's buffer already, or at worst in flight
// behind it; and a relay that took "no event at hand" for "flush now" made
// a write to its client at every doubling of a small buffer during a
// burst.
func (r *Reader) EventBuffered() bool {
	b := r.buf[r.start:r.end]
	if r.burst && len(b) > 0 && r.err == nil {
		return true
	}
	return bytes.Contains(b, lflf) || bytes.Contains(b, crlfcrlf) || bytes.Contains(b, crcr)
}

var (
	lflf     = []byte("\n\n")
	crlfcrlf = []byte("\r\n\r\n")
	crcr     = []byte("\r\r")
)

// Next returns the next event with data. Events without any data field are
// skipped, as the standard says. At the end of input it returns io.EOF; an
// event not terminated by a blank line before EOF is still dispatched, since
// several upstreams end their last event with a single newline. Errors,
// ErrEventTooLarge included, are sticky: once Next has returned one, it
// returns it again.
func (r *Reader) Next() (Event, error) {
	r.data = r.data[:0]
	r.first, r.pinned = nil, false
	r.name = ""
	hasData := false
	for {
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF && hasData {
				return r.event(), nil
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if hasData {
				return r.event(), nil
			}
			r.name = ""
			continue
		}
		if line[0] == ':' {
			if r.Comments != nil {
				r.Comments(line[1:])
			}
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if !hasData {
				if len(value) > r.maxSize {
					return Event{}, r.tooLarge()
				}
				r.pin(value)
				hasData = true
				break
			}
			r.unpin()
			if len(r.data)+1+len(value) > r.maxSize {
				return Event{}, r.tooLarge()
			}
			r.data = append(r.data, '\n')
			r.data = append(r.data, value...)
		case "event":
			if string(value) != r.lastName {
				r.lastName = string(value)
			}
			r.name = r.lastName
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				r.id = string(value)
			}
		}
		// "retry" and unknown fields are ignored.
	}
}

func (r *Reader) event() Event {
	data := r.data
	if r.pinned {
		data, r.first, r.pinned = r.first, nil, false
	}
	return Event{Name: r.name, ID: r.id, Data: data}
}

// pin keeps value, an event's first data line, where it is in the buffer
// instead of copying it: the usual event is one data line, which arrives
// with the blank line that ends it, so its Data is the buffer's bytes and
// the reader holds no copy of it between events (an idle stream keeps no
// event's data). Whatever moves the buffer's bytes unpins it first.
func (r *Reader) pin(value []byte) {
	r.first, r.pinned = value, true
}

// unpin copies the pinned first data line into data.
func (r *Reader) unpin() {
	if r.pinned {
		r.data = append(r.data[:0], r.first...)
		r.first, r.pinned = nil, false
	}
}

// tooLarge makes ErrEventTooLarge sticky, so that the rest of an oversized
// event is never mistaken for an event of its own, and drops the buffer.
func (r *Reader) tooLarge() error {
	r.err = ErrEventTooLarge
	r.start, r.end, r.scanned = 0, 0, 0
	return r.err
}

var bom = []byte("\uFEFF")

// readLine returns one line without its terminator (LF, CRLF or CR), and
// without the byte order mark the stream may start with. The returned slice
// aliases the buffer and is valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.readRawLine()
	if err == nil && !r.started {
		r.started = true
		line = bytes.TrimPrefix(line, bom)
	}
	return line, err
}

func (r *Reader) readRawLine() ([]byte, error) {
	for {
		if r.skipLF && r.start < r.end {
			if r.buf[r.start] == '\n' {
				r.start++
			}
			r.skipLF = false
		}
		// Only the bytes that arrived since the last look are scanned, so a
		// long line read in small pieces costs linear time.
		if i := lineEnd(r.buf[r.start+r.scanned : r.end]); i >= 0 {
			i += r.scanned
			line := r.buf[r.start : r.start+i]
			r.skipLF = r.buf[r.start+i] == '\r'
			r.start += i + 1
			r.scanned = 0
			return line, nil
		}
		r.scanned = r.end - r.start
		if r.err != nil {
			if r.start < r.end {
				line := r.buf[r.start:r.end]
				r.start = r.end
				r.scanned = 0
				return line, nil
			}
			return nil, r.err
		}
		// Each of the branches below moves the buffer's bytes.
		if r.burst {
			// The last read filled the buffer: the upstream sends faster
			// than one small read a time. A bigger buffer drains what it
			// sent together in fewer reads and lets EventBuffered see it.
			r.burst = false
			r.unpin()
			grown := make([]byte, 2*len(r.buf))
			r.end = copy(grown, r.buf[r.start:r.end])
			r.start, r.buf = 0, grown
		} else if r.start > 0 {
			r.unpin()
			r.end = copy(r.buf, r.buf[r.start:r.end])
			r.start = 0
		}
		if r.end == len(r.buf) {
			// The buffer holds one unterminated line. The longest line
			// an event within the maximum can have is "data: " and
			// maxSize bytes; allow for its terminator, and no more.
			if r.end-len(dataPrefix) > r.maxSize {
				return nil, r.tooLarge()
			}
			n := 2 * len(r.buf)
			if limit := r.maxSize + len(dataPrefix) + 1; limit > len(r.buf) && limit < n {
				n = limit
			}
			r.unpin()
			grown := make([]byte, n)
			copy(grown, r.buf[:r.end])
			r.buf = grown
		}
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		r.burst = r.end == len(r.buf) && len(r.buf) < burstBufferSize
		if err != nil {
			r.err = err
		}
	}
}

// lineEnd returns the index of the first CR or LF in b, or -1. Two
// vectorised searches (the CR only before the LF) beat bytes.IndexAny,
// which tests a set of bytes one byte at a time.
func lineEnd(b []byte) int {
	lf := bytes.IndexByte(b, '\n')
	before := b
	if lf >= 0 {
		before = b[:lf]
	}
	if cr := bytes.IndexByte(before, '\r'); cr >= 0 {
		return cr
	}
	return lf
}

// Writer writes events to an HTTP response, flushing after each one.
type Writer struct {
	w  io.Writer
	rc *http.ResponseController
}

// NewWriter returns a Writer on w. If w is an http.ResponseWriter, each
// event is flushed to the client as soon as it is written.
func NewWriter(w io.Writer) *Writer {
	sw := &Writer{w: w}
	if rw, ok := w.(http.ResponseWriter); ok {
		sw.rc = http.NewResponseController(rw)
	}
	return sw
}

var (
	dataPrefix = []byte("data: ")
	eventEnd   = []byte("\n\n")
)

// Data writes one "data:" event and flushes it to the client. data must
// not contain line breaks, CR or LF (JSON produced by encoding/json never
// does).
func (w *Writer) Data(data []byte) error {
	if err := w.DataNoFlush(data); err != nil {
		return err
	}
	return w.Flush()
}

// DataNoFlush writes one "data:" event like Data, leaving it in the
// response's buffer: a relay that knows the next event is already at hand
// writes both before one Flush.
func (w *Writer) DataNoFlush(data []byte) error {
	if bytes.IndexByte(data, '\n') >= 0 || bytes.IndexByte(data, '\r') >= 0 {
		return fmt.Errorf("sse: data contains a line break")
	}
	if _, err := w.w.Write(dataPrefix); err != nil {
		return err
	}
	if _, err := w.w.Write(data); err != nil {
		return err
	}
	_, err := w.w.Write(eventEnd)
	return err
}

// Comment writes a comment line (": text"), used as a keep-alive. text
// must not contain line breaks.
func (w *Writer) Comment(text string) error {
	if strings.ContainsAny(text, "\r\n") {
		return fmt.Errorf("sse: comment contains a line break")
	}
	if _, err := io.WriteString(w.w, ": "+text+"\n\n"); err != nil {
		return err
	}
	return w.Flush()
}

// Flush sends buffered bytes to the client.
func (w *Writer) Flush() error {
	if w.rc == nil {
		return nil
	}
	if err := w.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
