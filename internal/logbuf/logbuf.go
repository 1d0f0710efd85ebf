// Package logbuf batches a process's log lines into few writes, made off
// the path of the code that logs.
//
// The gateway logs a line per request; written one by one, that is a
// write(2) per request on the hot path. A Writer gathers the lines and
// writes them out together, at most an interval later, as access logs in
// proxies such as Envoy are. What a crash can lose is the last interval's
// lines; the records that matter (generations, the ledger) are in the
// store, not the log.
//
// The write itself is made by a background goroutine, never by the
// goroutine that logs: a log file can stall for milliseconds (on ext4 a
// write waits while the journal commits, which the store's fsyncs cause
// every flush), and a request that logged while a batch was written used
// to wait for it. Only when the writes fall behind by a backlog of
// maxBacklog batches does a Write wait, so that memory stays bounded.
//
// Records logged through the Writer's Handler are not even formatted by
// the goroutine that logs: they are queued, their values resolved, and
// formatted where the batch is written. slog's JSON handler takes about
// 1 µs a line in a hot loop but 10 µs and more inside a gateway under
// load, where a request's last act is its log line and the code and data
// of the formatter are cold by then.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// maxBacklog is how many times limit bytes may wait while the underlying
// writer is busy before a Write waits for it.
const maxBacklog = 16

// Writer buffers what is written to it and has it written to the
// underlying writer an interval after the first unwritten byte, as soon as
// limit bytes are waiting (a record queued by its Handler counts for
// recordSize), and on Flush and Close. Each Write reaches the underlying
// writer whole and in order. It is safe for concurrent use.
type Writer struct {
	w        io.Writer
	interval time.Duration
	limit    int

	// out serialises the writes to w, in the order their bytes were
	// taken from buf; it is taken before mu, never while mu is held.
	out sync.Mutex

	mu     sync.Mutex
	buf    []byte
	recs   []queued    // records to format into buf, in order with its bytes
	spare  []byte      // a written batch's buffer, for reuse
	spareQ []queued    // a written batch's records, cleared, for reuse
	timer  *time.Timer // flushes in the background
	armed  bool        // the timer is set for buf's bytes
	urgent bool        // and set to fire now: limit bytes are waiting
	closed bool        // later writes go straight through

	// out guards what follows: records are formatted into text, a sink
	// that the handlers made by Handler write to, and only while out is
	// held.
	text      sink
	spareText []byte // a formatted batch's buffer, for reuse
}

// queued is a record logged through the Writer's Handler, waiting to be
// formatted by h at offset off of the buffered bytes.
type queued struct {
	off int
	h   slog.Handler
	r   slog.Record
}

// recordSize is what a queued record counts for against the limit and
// the backlog before it is formatted: about a log line.
const recordSize = 256

// sink is the io.Writer of the handlers made by Handler: it appends to
// the batch being formatted.
type sink struct{ buf []byte }

func (s *sink) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	return len(p), nil
}

// New returns a Writer on w.
func New(w io.Writer, interval time.Duration, limit int) *Writer {
	b := &Writer{w: w, interval: interval, limit: limit}
	b.timer = time.AfterFunc(time.Hour, func() { b.Flush() })
	b.timer.Stop()
	return b
}

// Write buffers p and returns without waiting for the underlying writer,
// unless maxBacklog times limit bytes are waiting for it: then it writes
// them, and its error is the underlying writer's. Once the Writer is
// closed, p is written through.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.out.Lock()
		defer b.out.Unlock()
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if err := b.added(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// added schedules the write of what was just buffered; the caller holds
// b.mu, which added releases. Past the backlog it writes the batch itself
// and returns the underlying writer's error.
func (b *Writer) added() error {
	switch n := len(b.buf) + recordSize*len(b.recs); {
	case n >= maxBacklog*b.limit:
		b.mu.Unlock()
		return b.Flush()
	case n >= b.limit && !b.urgent:
		b.armed, b.urgent = true, true
		b.timer.Reset(0)
	case !b.armed:
		b.armed = true
		b.timer.Reset(b.interval)
	}
	b.mu.Unlock()
	return nil
}

// Flush writes out what is buffered and waits for it to be written.
func (b *Writer) Flush() error {
	b.out.Lock()
	defer b.out.Unlock()
	return b.writeOut(b.take(false))
}

// Close flushes and makes later writes go straight through.
func (b *Writer) Close() error {
	b.out.Lock()
	defer b.out.Unlock()
	return b.writeOut(b.take(true))
}

// batch is what take took: bytes, and the records to format among them.
type batch struct {
	buf  []byte
	recs []queued
}

// take takes the buffered bytes and records; the caller holds b.out.
func (b *Writer) take(close bool) batch {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.armed {
		b.timer.Stop()
		b.armed, b.urgent = false, false
	}
	p := batch{buf: b.buf, recs: b.recs}
	b.buf, b.spare = b.spare[:0], nil
	b.recs, b.spareQ = b.spareQ[:0], nil
	b.closed = b.closed || close
	return p
}

// writeOut formats p's records into its bytes and writes them, and keeps
// the buffers for the next batch; the caller holds b.out. A failed write
// is not retried: log lines that could not be written are dropped rather
// than held without bound.
func (b *Writer) writeOut(p batch) error {
	out := p.buf
	if len(p.recs) > 0 {
		b.text.buf = b.spareText[:0]
		last := 0
		for i := range p.recs {
			q := &p.recs[i]
			b.text.buf = append(b.text.buf, p.buf[last:q.off]...)
			last = q.off
			// The handler writes to b.text; its error is a formatting
			// one (a failed write is reported below), and the record
			// has nowhere else to go.
			_ = q.h.Handle(context.Background(), q.r)
		}
		out = append(b.text.buf, p.buf[last:]...)
		b.text.buf = nil
	}
	var err error
	if len(out) > 0 {
		_, err = b.w.Write(out)
	}
	// Keep what is not grown by a huge line or a backlog. With records,
	// out is the formatted copy and p.buf is free too.
	small := func(c []byte) bool { return cap(c) > 0 && cap(c) <= 4*b.limit }
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(p.recs) == 0 {
		if small(out) {
			b.spare = out[:0]
		}
		return err
	}
	if small(p.buf) {
		b.spare = p.buf[:0]
	}
	if small(out) {
		b.spareText = out[:0]
	}
	clear(p.recs) // what they refer to is garbage now
	if cap(p.recs) <= b.limit/recordSize {
		b.spareQ = p.recs[:0]
	}
	return err
}

// Handler returns a slog.Handler whose records are formatted by the
// handler that newHandler makes on the Writer's behalf (as
// slog.NewJSONHandler(w, opts)) when their batch is written, not when they
// are logged; lines written with Write and records keep their order.
//
// A record's values are resolved as it is logged (LogValuers, and errors
// into their text), so what is formatted is what was logged; other values
// are read when the batch is written, up to an interval later, so a value
// that the program changes after logging it (a pointer to a struct it
// then modifies) must be logged as a copy. The handler is given
// context.Background(): newHandler's handler must not need the logging
// call's context (slog's own handlers do not). Once the Writer is closed,
// records are formatted and written at once.
func (b *Writer) Handler(newHandler func(io.Writer) slog.Handler) slog.Handler {
	return &handler{b: b, h: newHandler(&b.text)}
}

// handler is what Writer.Handler returns: h formats into b.text.
type handler struct {
	b *Writer
	h slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{b: h.b, h: h.h.WithAttrs(resolved(as))}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{b: h.b, h: h.h.WithGroup(name)}
}

// Handle queues a copy of r, its values resolved, for the next batch.
func (h *handler) Handle(_ context.Context, r slog.Record) error {
	q := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		q.AddAttrs(resolve(a))
		return true
	})
	b := h.b
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.out.Lock()
		defer b.out.Unlock()
		return b.writeOut(batch{recs: []queued{{h: h.h, r: q}}})
	}
	b.recs = append(b.recs, queued{off: len(b.buf), h: h.h, r: q})
	return b.added()
}

// resolve is a with its value as it is now: a LogValuer's value, an
// error's text, a group's members resolved.
func resolve(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	switch a.Value.Kind() {
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(err.Error())
		}
	case slog.KindGroup:
		a.Value = slog.GroupValue(resolved(a.Value.Group())...)
	}
	return a
}

// resolved is as with each attribute resolved, in a new slice.
func resolved(as []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = resolve(a)
	}
	return out
}
