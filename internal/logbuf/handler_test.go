package logbuf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/syncbuf"
)

// noTime drops the time of each record, so that outputs compare.
var noTime = &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}}

func jsonHandler(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, noTime) }

// counting is a handler that counts the records it formats.
type counting struct {
	slog.Handler
	n *atomic.Int64
}

func (c counting) Handle(ctx context.Context, r slog.Record) error {
	c.n.Add(1)
	return c.Handler.Handle(ctx, r)
}

// A record is formatted when its batch is written, not by the goroutine
// that logs it.
func TestHandlerFormatsWhenWritten(t *testing.T) {
	rec := &recorder{}
	w := New(rec, time.Hour, 1<<10)
	var n atomic.Int64
	log := slog.New(w.Handler(func(out io.Writer) slog.Handler { return counting{jsonHandler(out), &n} }))
	log.Info("generation", "id", "gen-1", "tokens", 18)
	if n.Load() != 0 || len(rec.get()) != 0 {
		t.Fatalf("formatted %d and wrote %q when logged, want neither before the batch", n.Load(), rec.get())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"level":"INFO","msg":"generation","id":"gen-1","tokens":18}` + "\n"
	if got := rec.get(); n.Load() != 1 || strings.Join(got, "|") != want {
		t.Fatalf("after Flush: %d formatted, writes %q, want 1 and %q", n.Load(), got, want)
	}
}

// Lines written with Write and records logged through the Handler leave
// in the order they came, in one write.
func TestHandlerKeepsOrderWithWrites(t *testing.T) {
	rec := &recorder{}
	w := New(rec, time.Hour, 1<<10)
	log := slog.New(w.Handler(jsonHandler))
	w.Write([]byte("a\n"))
	log.Info("one")
	log.Info("two")
	w.Write([]byte("b\n"))
	log.Warn("three")
	w.Write([]byte("c\n"))
	w.Flush()
	want := "a\n" + `{"level":"INFO","msg":"one"}` + "\n" + `{"level":"INFO","msg":"two"}` + "\nb\n" +
		`{"level":"WARN","msg":"three"}` + "\nc\n"
	if got := rec.get(); strings.Join(got, "|") != want {
		t.Fatalf("writes = %q, want %q", got, want)
	}
}

// token is a LogValuer whose value changes after it is logged.
type token struct{ v *int }

func (t token) LogValue() slog.Value { return slog.IntValue(*t.v) }

// mutableError's text changes after it is logged.
type mutableError struct{ msg string }

func (e *mutableError) Error() string { return e.msg }

// What the Handler writes is what slog's JSON handler writes for the same
// calls, attributes of the logger, groups, more attributes than a record
// holds inline, LogValuers and errors included; and values are taken as
// they were when logged.
func TestHandlerMatchesSlog(t *testing.T) {
	logAll := func(log *slog.Logger) {
		v := 1
		err := &mutableError{"upstream timed out"}
		log = log.With("component", "api", slog.Group("build", "v", token{&v}))
		log.Info("generation", "id", "gen-1", "model", "bench/gpt", "provider", "bench-openai",
			"attempts", 1, "stream", true, "cancelled", false, "prompt_tokens", 256, "cost", "0.0000492",
			"ms", int64(2), "at", time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC))
		log.WithGroup("req").Error("failed", "error", err, "n", token{&v},
			slog.Group("upstream", "status", 504, "error", err), "dur", 1500*time.Millisecond)
		log.Debug("not enabled")
		v, err.msg = 2, "changed after logging"
	}
	var direct bytes.Buffer
	logAll(slog.New(slog.NewJSONHandler(&direct, noTime)))

	rec := &recorder{}
	w := New(rec, time.Hour, 1<<10)
	logAll(slog.New(w.Handler(jsonHandler)))
	w.Flush()
	if got := strings.Join(rec.get(), ""); got != direct.String() {
		t.Fatalf("through the Writer:\n%s\nslog directly:\n%s", got, direct.String())
	}
	if strings.Contains(direct.String(), "changed") || !strings.Contains(direct.String(), `"v":1`) {
		t.Fatalf("the reference logged values changed after the call:\n%s", direct.String())
	}
}

// Once the Writer is closed, a record is formatted and written at once.
func TestHandlerAfterClose(t *testing.T) {
	rec := &recorder{}
	w := New(rec, time.Hour, 1<<10)
	log := slog.New(w.Handler(jsonHandler))
	log.Info("before")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	log.Info("after")
	want := `{"level":"INFO","msg":"before"}` + "\n|" + `{"level":"INFO","msg":"after"}` + "\n"
	if got := rec.get(); strings.Join(got, "|") != want {
		t.Fatalf("writes = %q, want %q", got, want)
	}
}

// Records count toward the limit: enough of them are written without
// waiting for the interval.
func TestHandlerFlushesAtLimit(t *testing.T) {
	rec := &recorder{}
	w := New(rec, time.Hour, 4*recordSize)
	log := slog.New(w.Handler(jsonHandler))
	for i := range 3 {
		log.Info("line", "i", i)
	}
	time.Sleep(10 * time.Millisecond)
	if len(rec.get()) != 0 {
		t.Fatal("flushed below the limit")
	}
	log.Info("line", "i", 3)
	if got := waitWrites(t, rec, 1); strings.Count(got[0], "\n") != 4 {
		t.Fatalf("writes = %q, want the four lines in one write at the limit", got)
	}
}

// Past the backlog the goroutine that logs writes the batch itself, and
// the Writer's memory stays bounded while the underlying writer is stuck.
func TestHandlerBacklog(t *testing.T) {
	stuck := newStuckWriter()
	w := New(stuck, time.Hour, 2*recordSize)
	log := slog.New(w.Handler(jsonHandler))
	log.Info("first")
	log.Info("second") // the limit: the timer writes these two, and blocks
	<-stuck.entered
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2 * maxBacklog {
			log.Info("queued", "i", i)
		}
	}()
	select {
	case <-done:
		t.Fatal("logging went on past the backlog while the writer was stuck")
	case <-time.After(50 * time.Millisecond):
	}
	close(stuck.release)
	<-done
	w.Close()
	out := strings.Join(stuck.get(), "")
	if n := strings.Count(out, "\n"); n != 2+2*maxBacklog {
		t.Fatalf("%d lines, want %d:\n%s", n, 2+2*maxBacklog, out)
	}
}

// Records logged concurrently, beside Writes, arrive whole, each
// goroutine's in its order, none lost.
func TestHandlerConcurrent(t *testing.T) {
	var out syncbuf.Buffer
	w := New(&out, time.Millisecond, 1<<10)
	log := slog.New(w.Handler(jsonHandler))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			l := log.With("g", g)
			for i := range 200 {
				if i%10 == 0 {
					fmt.Fprintf(w, "{\"g\":%d,\"i\":%d}\n", g, i)
					continue
				}
				l.Info("line", "i", i)
			}
		})
	}
	wg.Wait()
	w.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*200 {
		t.Fatalf("%d lines, want %d", len(lines), 8*200)
	}
	next := make(map[int]int)
	for _, l := range lines {
		var v struct{ G, I int }
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("torn line %q: %v", l, err)
		}
		if v.I != next[v.G] {
			t.Fatalf("goroutine %d: line %d after %d", v.G, v.I, next[v.G]-1)
		}
		next[v.G]++
	}
}
