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
package logbuf

import (
	"io"
	"sync"
	"time"
)

// maxBacklog is how many times limit bytes may wait while the underlying
// writer is busy before a Write waits for it.
const maxBacklog = 16

// Writer buffers what is written to it and has it written to the
// underlying writer an interval after the first unwritten byte, as soon as
// limit bytes are waiting, and on Flush and Close. Each Write reaches the
// underlying writer whole and in order. It is safe for concurrent use.
type Writer struct {
	w        io.Writer
	interval time.Duration
	limit    int

	// out serialises the writes to w, in the order their bytes were
	// taken from buf; it is taken before mu, never while mu is held.
	out sync.Mutex

	mu     sync.Mutex
	buf    []byte
	spare  []byte      // a written batch's buffer, for reuse
	timer  *time.Timer // flushes in the background
	armed  bool        // the timer is set for buf's bytes
	urgent bool        // and set to fire now: limit bytes are waiting
	closed bool        // later writes go straight through
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
	switch n := len(b.buf); {
	case n >= maxBacklog*b.limit:
		b.mu.Unlock()
		if err := b.Flush(); err != nil {
			return 0, err
		}
		return len(p), nil
	case n >= b.limit && !b.urgent:
		b.armed, b.urgent = true, true
		b.timer.Reset(0)
	case !b.armed:
		b.armed = true
		b.timer.Reset(b.interval)
	}
	b.mu.Unlock()
	return len(p), nil
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

// take takes the buffered bytes; the caller holds b.out.
func (b *Writer) take(close bool) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.armed {
		b.timer.Stop()
		b.armed, b.urgent = false, false
	}
	p := b.buf
	b.buf, b.spare = b.spare[:0], nil
	b.closed = b.closed || close
	return p
}

// writeOut writes p, a batch take returned, and keeps its buffer for the
// next one; the caller holds b.out. A failed write is not retried: log
// lines that could not be written are dropped rather than held without
// bound.
func (b *Writer) writeOut(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	_, err := b.w.Write(p)
	if cap(p) <= 4*b.limit { // not grown by a huge line or a backlog
		b.mu.Lock()
		b.spare = p[:0]
		b.mu.Unlock()
	}
	return err
}
