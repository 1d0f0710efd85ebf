package provider

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/sse"
)

// Event is one event of an upstream stream, whatever its framing: an SSE
// event, an NDJSON line or an AWS event-stream message.
type Event struct {
	// Type is the event's name: the SSE "event:" field or the AWS
	// :event-type header; "" for NDJSON lines and unnamed SSE events.
	Type string
	// Data is the event's payload, valid only until the next read.
	Data []byte
	// MessageType is the AWS :message-type header ("event", "exception"
	// or "error"); "" for other framings.
	MessageType string
	// ExceptionType, ErrorCode and ErrorMessage are the AWS headers of
	// exception and error messages.
	ExceptionType, ErrorCode, ErrorMessage string
}

// EventReader reads the events of a stream body. Next returns io.EOF at a
// clean end of the body; a frame cut in the middle is io.ErrUnexpectedEOF or
// another error.
type EventReader interface {
	Next() (Event, error)
}

// SSEEvents reads Server-Sent Events (package sse: any line length up to
// its maximum event size, LF, CRLF or CR line ends). Comments (keep-alives)
// are skipped.
func SSEEvents(r io.Reader) EventReader { return sseEvents{sse.NewReader(r)} }

type sseEvents struct{ r *sse.Reader }

// Buffered reports whether a whole event is already read from the body.
func (s sseEvents) Buffered() bool { return s.r.EventBuffered() }

func (s sseEvents) Next() (Event, error) {
	ev, err := s.r.Next()
	if err != nil {
		return Event{}, err
	}
	return Event{Type: ev.Name, Data: ev.Data}, nil
}

// streamBufferSize is the read buffer of an NDJSON or AWS event-stream
// body. A stream holds it for as long as it is open, idle or not, so it is
// small: it bounds neither a line nor a frame (longer ones are assembled
// outside it), only how much one read from the body may take.
const streamBufferSize = 1 << 10

// NDJSONEvents reads newline-delimited JSON: one event per non-blank line,
// no line longer than max bytes. A last line without its newline counts.
func NDJSONEvents(r io.Reader, max int) EventReader {
	return &ndjsonEvents{r: bufio.NewReaderSize(r, streamBufferSize), max: max}
}

type ndjsonEvents struct {
	r    *bufio.Reader
	line []byte // a line longer than the reader's buffer, being assembled
	max  int
}

func (n *ndjsonEvents) Next() (Event, error) {
	for {
		line, err := n.readLine()
		if err != nil {
			return Event{}, err
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			return Event{Data: line}, nil
		}
	}
}

func (n *ndjsonEvents) readLine() ([]byte, error) {
	n.line = n.line[:0]
	for {
		frag, err := n.r.ReadSlice('\n')
		if len(n.line)+len(frag) > n.max {
			return nil, formatError{fmt.Errorf("upstream sent an NDJSON line over %d bytes", n.max)}
		}
		if err == nil && len(n.line) == 0 {
			return frag, nil // the common case: no copy
		}
		n.line = append(n.line, frag...)
		switch {
		case err == nil:
			return n.line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(bytes.TrimSpace(n.line)) > 0:
			return n.line, nil // the next read reports EOF
		}
		return nil, err
	}
}

// AWSEvents reads the binary AWS event-stream framing (prelude, headers,
// payload, prelude and message CRC32s checked by aws-sdk-go-v2's decoder).
func AWSEvents(r io.Reader) EventReader {
	return &awsEvents{r: bufio.NewReaderSize(r, streamBufferSize), dec: eventstream.NewDecoder()}
}

type awsEvents struct {
	r   *bufio.Reader
	dec *eventstream.Decoder
	buf []byte
}

func (a *awsEvents) Next() (Event, error) {
	msg, err := a.dec.Decode(a.r, a.buf)
	if err != nil {
		var ce eventstream.ChecksumError
		if errors.As(err, &ce) {
			return Event{}, formatError{fmt.Errorf("upstream sent a corrupt event-stream frame: %w", err)}
		}
		return Event{}, err
	}
	a.buf = msg.Payload[:0]
	h := func(name string) string {
		if v := msg.Headers.Get(name); v != nil {
			return v.String()
		}
		return ""
	}
	return Event{
		Type:          h(":event-type"),
		Data:          msg.Payload,
		MessageType:   h(":message-type"),
		ExceptionType: h(":exception-type"),
		ErrorCode:     h(":error-code"),
		ErrorMessage:  h(":error-message"),
	}, nil
}

// Decoder translates one protocol's stream events into OpenAI chunks. It
// holds the per-stream state (ids, open tool calls, usage so far) and is
// used by one stream only.
type Decoder interface {
	// Decode handles one event, appending the chunks it yields (often
	// none) to out. done reports the protocol's terminal event, after
	// which the stream ends; err (an *Error for in-band upstream errors)
	// ends it with that error.
	Decode(ev Event, out []*openai.Chunk) (chunks []*openai.Chunk, done bool, err error)
	// End is called when the body ends cleanly before Decode reported
	// done. It returns the last chunks for protocols whose stream simply
	// stops after its final event, or an error (see Truncated) when the
	// stream was cut short.
	End(out []*openai.Chunk) ([]*openai.Chunk, error)
}

// Truncated is the error of a stream that ended before its final event.
func Truncated(providerName, final string) *Error {
	return &Error{Provider: providerName, Type: "provider_unavailable", Message: "upstream closed the stream before " + final}
}

// NewStream returns the Stream of an upstream body: events read with
// events, translated by dec. It is the one stream loop of every adapter:
// it owns the sticky end, closing, cancellation and the classification of
// read errors.
func NewStream(ctx context.Context, providerName string, body io.ReadCloser, events EventReader, dec Decoder) Stream {
	return &stream{ctx: ctx, name: providerName, body: body, events: events, dec: dec}
}

// stream is not safe for concurrent use, except that Close may be called at
// any time to abort a blocked Next.
type stream struct {
	ctx    context.Context
	name   string
	body   io.ReadCloser
	events EventReader
	dec    Decoder

	pending []*openai.Chunk // decoded, not yet returned
	next    int             // pending[next] is returned next
	ended   bool            // the decoder is done: io.EOF once pending drains
	err     error           // sticky

	// complete is set once the decoder has seen the protocol's final
	// event: Close keeps the connection (closerAtEnd). Atomic, as Close
	// may run beside Next.
	complete  atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// Buffered reports whether the next chunk is already at hand: decoded, or
// in an event read from the body with the previous ones (see Buffering).
func (s *stream) Buffered() bool {
	if s.next < len(s.pending) {
		return true
	}
	b, ok := s.events.(interface{ Buffered() bool })
	return ok && b.Buffered()
}

// Next returns the next chunk, io.EOF after the last one, or an error.
func (s *stream) Next() (*openai.Chunk, error) {
	for {
		if s.next < len(s.pending) {
			c := s.pending[s.next]
			s.pending[s.next] = nil
			s.next++
			return c, nil
		}
		if s.err != nil {
			return nil, s.err
		}
		if s.ended {
			s.err = io.EOF
			return nil, io.EOF
		}
		s.pending, s.next = s.pending[:0], 0
		s.pending, s.ended, s.err = s.read(s.pending)
		if s.ended && s.err == nil {
			s.complete.Store(true)
		}
	}
}

// read decodes events until one yields chunks, the stream ends or fails.
func (s *stream) read(out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	if err := s.ctx.Err(); err != nil {
		return out, false, AsError(s.name, err)
	}
	for {
		ev, err := s.events.Next()
		if err != nil {
			return s.readError(out, err)
		}
		var done bool
		out, done, err = s.dec.Decode(ev, out)
		if err != nil || done || len(out) > 0 {
			if err != nil {
				err = AsError(s.name, err)
			}
			return out, done, err
		}
	}
}

func (s *stream) readError(out []*openai.Chunk, err error) ([]*openai.Chunk, bool, error) {
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return out, false, AsError(s.name, ctxErr)
	}
	switch {
	case errors.Is(err, io.EOF):
		out, err = s.dec.End(out)
		if err != nil {
			return out, false, AsError(s.name, err)
		}
		return out, true, nil
	case errors.Is(err, sse.ErrEventTooLarge):
		return out, false, &Error{Provider: s.name, Type: "server", Message: "upstream sent an oversized stream event", Err: err}
	case errors.As(err, new(formatError)):
		return out, false, &Error{Provider: s.name, Type: "server", Message: err.Error(), Err: err}
	}
	return out, false, AsError(s.name, err) // the connection failed
}

// formatError is a framing error of the upstream's stream (as opposed to
// a failed connection): a server fault, not an unavailable provider.
type formatError struct{ error }

func (e formatError) Unwrap() error { return e.error }

// Close releases the upstream connection. It is safe to call twice.
func (s *stream) Close() error {
	s.closeOnce.Do(func() {
		if ca, ok := s.body.(closerAtEnd); ok && s.complete.Load() {
			s.closeErr = ca.CloseAtEnd()
			return
		}
		s.closeErr = s.body.Close()
	})
	return s.closeErr
}

// closerAtEnd is a body that can be closed after its content's final
// event without giving up its connection, though the framing of its end
// is still to be read (h1's: the chunked body's last chunk, sent right
// behind the [DONE] that ends the stream). Close gives the connection up
// whenever that last chunk has not been read with [DONE] (one stream in
// seven against the bench's upstream on loopback), and the next request
// dials a new one.
type closerAtEnd interface {
	CloseAtEnd() error
}
