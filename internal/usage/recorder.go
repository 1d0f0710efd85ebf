// Package usage feeds the usage rollups behind analytics and rankings
// from the generation records, off the request path.
//
// Record merges a generation into an in-memory rollup row (one per UTC
// hour × key × model × provider × app × category × privacy) under a
// mutex: a map update, no I/O, no allocation once the row exists. A
// background flusher hands the rows to the store (store.UsageStore's
// AddUsage) every interval, in one transaction. The pending rows are
// bounded: when a generation would need a new row beyond the bound it is
// not recorded but counted (switchyard_usage_dropped_total), so a store
// that cannot keep up never slows or fails a request; the generation
// records themselves are the billing's and are never dropped, so
// RebuildUsage can restore exact rollups afterwards. Close flushes what
// is pending.
package usage

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchyard-dev/switchyard/internal/store"
)

// Options configure a Recorder.
type Options struct {
	// FlushInterval is how often pending rows are written (default 1s).
	FlushInterval time.Duration
	// MaxPending bounds the rows waiting to be written (default 100,000).
	MaxPending int
	Logger     *slog.Logger
	// Registerer, when set, registers the recorder's metrics.
	Registerer prometheus.Registerer
}

// Recorder aggregates generations into rollup rows and writes them in
// batches. It is safe for concurrent use.
type Recorder struct {
	st       store.UsageStore
	interval time.Duration
	max      int
	logger   *slog.Logger

	mu      sync.Mutex
	pending map[store.UsageKey]*store.UsageRow
	closed  bool

	flushing sync.Mutex
	stop     chan struct{}
	done     chan struct{}

	dropped atomic.Int64

	recorded, written, failures prometheus.Counter
}

// New starts a recorder writing to st.
func New(st store.UsageStore, o Options) *Recorder {
	if o.FlushInterval <= 0 {
		o.FlushInterval = time.Second
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 100_000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{
		st: st, interval: o.FlushInterval, max: o.MaxPending, logger: o.Logger,
		pending: make(map[store.UsageKey]*store.UsageRow),
		stop:    make(chan struct{}), done: make(chan struct{}),
		recorded: prometheus.NewCounter(prometheus.CounterOpts{Name: "switchyard_usage_recorded_total",
			Help: "Generations merged into the usage rollups."}),
		written: prometheus.NewCounter(prometheus.CounterOpts{Name: "switchyard_usage_rows_written_total",
			Help: "Rollup rows written to the store."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "switchyard_usage_flush_failures_total",
			Help: "Failed writes of the usage rollups (retried at the next flush)."}),
	}
	if o.Registerer != nil {
		o.Registerer.MustRegister(r.recorded, r.written, r.failures,
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "switchyard_usage_dropped_total",
				Help: "Generations left out of the usage rollups because too many rows were pending (restore them with switchyard usage rebuild)."},
				func() float64 { return float64(r.dropped.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "switchyard_usage_pending_rows",
				Help: "Rollup rows waiting to be written."}, func() float64 { return float64(r.Pending()) }))
	}
	go r.run()
	return r
}

// Record merges g into the pending rollups. It never blocks on I/O.
func (r *Recorder) Record(g store.Generation) {
	u := store.UsageOf(g)
	r.mu.Lock()
	p := r.pending[u.UsageKey]
	switch {
	case p != nil:
		p.Merge(u)
	case len(r.pending) >= r.max:
		r.mu.Unlock()
		r.dropped.Add(1)
		return
	default:
		row := new(store.UsageRow) // only for a new row: u stays on the stack
		*row = u
		r.pending[u.UsageKey] = row
	}
	r.mu.Unlock()
	r.recorded.Inc()
}

// RecordAll records each of gens: the billing accountant's batches, as it
// writes them (billing.AccountantOptions.Written).
func (r *Recorder) RecordAll(gens []store.Generation) {
	for _, g := range gens {
		r.Record(g)
	}
}

// Pending is the number of rows waiting to be written.
func (r *Recorder) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// Dropped is the number of generations left out so far.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

func (r *Recorder) run() {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.Flush(context.Background())
		case <-r.stop:
			r.Flush(context.Background())
			return
		}
	}
}

// Flush writes the pending rows now. On failure they are merged back to
// be written by the next flush.
func (r *Recorder) Flush(ctx context.Context) error {
	r.flushing.Lock()
	defer r.flushing.Unlock()
	r.mu.Lock()
	batch := r.pending
	r.pending = make(map[store.UsageKey]*store.UsageRow, len(batch))
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	rows := make([]store.UsageRow, 0, len(batch))
	for _, p := range batch {
		rows = append(rows, *p)
	}
	if err := r.st.AddUsage(ctx, rows); err != nil {
		r.failures.Inc()
		r.logger.LogAttrs(ctx, slog.LevelError, "writing usage rollups failed; will retry",
			slog.Int("rows", len(rows)), slog.Any("error", err))
		r.mu.Lock()
		for k, p := range batch {
			if q := r.pending[k]; q != nil {
				p.Merge(*q) // q came after p
			}
			r.pending[k] = p // may exceed the bound briefly: nothing recorded is lost here
		}
		r.mu.Unlock()
		return err
	}
	r.written.Add(float64(len(rows)))
	return nil
}

// Close stops the flusher after writing everything pending. Records after
// Close are still merged and written by Flush (the caller's last one).
func (r *Recorder) Close() {
	r.mu.Lock()
	first := !r.closed
	r.closed = true
	r.mu.Unlock()
	if first {
		close(r.stop)
	}
	<-r.done
}
