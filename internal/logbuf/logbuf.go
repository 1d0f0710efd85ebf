// Package logbuf batches a process's log lines into few writes.
//
// The gateway logs a line per request; written one by one, that is a
// write(2) per request on the hot path. A Writer gathers the lines and
// writes them out together, at most an interval later, as access logs in
// proxies such as Envoy are. What a crash can lose is the last interval's
// lines; the records that matter (generations, the ledger) are in the
// store, not the log.
package logbuf

import (
	"io"
	"sync"
	"time"
)

// Writer buffers what is written to it and writes it to the underlying
// writer an interval after the first unwritten byte, as soon as limit
// bytes are waiting, and on Flush and Close. Each Write reaches the
// underlying writer whole and in order. It is safe for concurrent use.
type Writer struct {
	w        io.Writer
	interval time.Duration
	limit    int

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // armed while buf holds bytes
	armed  bool
	closed bool // later writes go straight through
}

// New returns a Writer on w.
func New(w io.Writer, interval time.Duration, limit int) *Writer {
	b := &Writer{w: w, interval: interval, limit: limit}
	b.timer = time.AfterFunc(time.Hour, func() { b.Flush() })
	b.timer.Stop()
	return b
}

// Write buffers p. Its error is the underlying writer's when p made the
// buffer reach the limit and the write failed; otherwise nil.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= b.limit {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if !b.armed {
		b.armed = true
		b.timer.Reset(b.interval)
	}
	return len(p), nil
}

// Flush writes out what is buffered.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *Writer) flushLocked() error {
	if b.armed {
		b.timer.Stop()
		b.armed = false
	}
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	// A failed write is not retried: log lines that could not be written
	// are dropped rather than held without bound.
	b.buf = b.buf[:0]
	if cap(b.buf) > 4*b.limit { // a huge line passed through
		b.buf = nil
	}
	return err
}

// Close flushes and makes later writes go straight through.
func (b *Writer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.flushLocked()
	b.closed = true
	return err
}
