package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
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

func TestFlushesAtLimit(t *testing.T) {
	rec := &recorder{}
	w := New(rec, time.Hour, 16)
	w.Write([]byte("0123456789\n"))
	if len(rec.get()) != 0 {
		t.Fatal("flushed below the limit")
	}
	w.Write([]byte("abcdef\n"))
	if got := rec.get(); len(got) != 1 || got[0] != "0123456789\nabcdef\n" {
		t.Fatalf("writes = %q, want both lines in one write at the limit", got)
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

func TestWriteErrorAtLimit(t *testing.T) {
	boom := errors.New("disk full")
	rec := &recorder{err: boom}
	w := New(rec, time.Hour, 4)
	if _, err := w.Write([]byte("toolong\n")); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	rec.err = nil
	w.Flush()
	if got := rec.get(); len(got) != 0 {
		t.Fatalf("a failed batch was written again: %q", got)
	}
}

// Lines written concurrently arrive whole and none is lost.
func TestConcurrentWritesStayWhole(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	w := New(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(p)
	}), time.Millisecond, 256)
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
	for _, l := range lines {
		var g, i int
		if n, err := fmt.Sscanf(l, "goroutine %d line %d", &g, &i); n != 2 || err != nil {
			t.Fatalf("torn line %q", l)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
