package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/syncbuf"
)

// recorder records each write it gets.
type recorder struct {
	mu     sync.Mutex
	writes []string
	err    error
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return 0, r.err
	}
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

func TestBatchesLinesAndFlushesAfterInterval(t *testing.T) {
	rec := &recorder{}
	w := New(rec, 20*time.Millisecond, 1<<10)
	for i := range 5 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if got := rec.get(); len(got) != 0 {
		t.Fatalf("written before the interval: %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.get()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	want := "line 0\nline 1\nline 2\nline 3\nline 4\n"
	if got := rec.get(); len(got) != 1 || got[0] != want {
		t.Fatalf("writes = %q, want one write of %q", got, want)
	}
	// The timer re-arms for the next batch.
	fmt.Fprintf(w, "later\n")
	for len(rec.get()) == 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := rec.get(); len(got) != 2 || got[1] != "later\n" {
		t.Fatalf("writes = %q, want a second write of the later line", got)
	}
}

// waitWrites waits until rec has n writes, or fails.
func waitWrites(t *testing.T, rec *recorder, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.get()) < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	got := rec.get()
	if len(got) != n {
		t.Fatalf("writes = %q, want %d", got, n)
	}
	return got
}

func TestFlushesAtLimit(t *testing.T) {
	rec := &recorder{}
	w := New(rec, time.Hour, 16)
	w.Write([]byte("0123456789\n"))
	time.Sleep(10 * time.Millisecond)
	if len(rec.get()) != 0 {
		t.Fatal("flushed below the limit")
	}
	w.Write([]byte("abcdef\n"))
	if got := waitWrites(t, rec, 1); got[0] != "0123456789\nabcdef\n" {
		t.Fatalf("writes = %q, want both lines in one write at the limit", got)
	}
}

// A Write never waits for the underlying writer until maxBacklog times
// the limit is waiting: the lines logged while a batch is being written
// (a log file stalled by the disk) are buffered and written next, in
// order. Past the backlog, a Write waits, so memory stays bounded.
func TestWriteDoesNotWaitForTheWriter(t *testing.T) {
	stuck := newStuckWriter()
	w := New(stuck, time.Hour, 10)
	var want strings.Builder
	line := func(i int) []byte { return fmt.Appendf(nil, "line %02d\n", i) } // 8 bytes
	n := 0
	writeTo := func(end int) {
		for ; n < end; n++ {
			want.Write(line(n))
			w.Write(line(n))
		}
	}
	wrote := make(chan struct{})
	// The first two lines reach the limit: a background write starts
	// and blocks.
	writeTo(2)
	select {
	case <-stuck.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("no write at the limit")
	}
	go func() {
		defer close(wrote)
		// The lines after it are buffered while it does, up to the
		// backlog (160 bytes: 20 lines).
		writeTo(21)
	}()
	select {
	case <-wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("Write waited for a blocked writer below the backlog")
	}
	blocked := make(chan struct{})
	go func() {
		defer close(blocked)
		writeTo(30)
	}()
	select {
	case <-blocked:
		t.Fatal("Write did not wait with a full backlog")
	case <-time.After(50 * time.Millisecond):
	}
	close(stuck.release)
	<-blocked
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writes := stuck.get()
	if got := strings.Join(writes, ""); got != want.String() {
		t.Fatalf("written %q, want %q", got, want.String())
	}
	if len(writes) > 5 {
		t.Fatalf("%d writes, want the lines batched: %q", len(writes), writes)
	}
}

func TestCloseFlushesThenWritesThrough(t *testing.T) {
	rec := &recorder{}
	w := New(rec, time.Hour, 1<<10)
	w.Write([]byte("a\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("b\n"))
	if got := rec.get(); strings.Join(got, "|") != "a\n|b\n" {
		t.Fatalf("writes = %q, want the buffered line on Close, then the next one directly", got)
	}
}

// A Write that meets a full backlog writes it, and returns the writer's
// error; the failed batch is dropped, not written again.
func TestWriteErrorAtBacklog(t *testing.T) {
	boom := errors.New("disk full")
	rec := &recorder{err: boom}
	w := New(rec, time.Hour, 4)
	if _, err := w.Write(bytes.Repeat([]byte("x"), maxBacklog*4)); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush of nothing = %v", err)
	}
	rec.mu.Lock()
	rec.err = nil
	rec.mu.Unlock()
	w.Write([]byte("ok\n"))
	w.Flush()
	if got := rec.get(); strings.Join(got, "|") != "ok\n" {
		t.Fatalf("writes = %q, want only the line after the failed batch", got)
	}
}

// Lines written concurrently arrive whole and none is lost.
func TestConcurrentWritesStayWhole(t *testing.T) {
	var out syncbuf.Buffer
	w := New(&out, time.Millisecond, 256)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "goroutine %d line %d\n", g, i)
			}
		})
	}
	wg.Wait()
	w.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*200 {
		t.Fatalf("%d lines, want %d", len(lines), 8*200)
	}
	next := make(map[int]int) // each goroutine's lines in its order
	for _, l := range lines {
		var g, i int
		if n, err := fmt.Sscanf(l, "goroutine %d line %d", &g, &i); n != 2 || err != nil {
			t.Fatalf("torn line %q", l)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: line %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
}

// stuckWriter is an underlying writer whose writes wait until release is
// closed; entered receives a value as the first one starts.
type stuckWriter struct {
	entered, release chan struct{}
	rec              recorder
}

func newStuckWriter() *stuckWriter {
	return &stuckWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (s *stuckWriter) Write(p []byte) (int, error) {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-s.release
	return s.rec.Write(p)
}

func (s *stuckWriter) get() []string { return s.rec.get() }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
