package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchyard-dev/switchyard/internal/background"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// The accountant keeps every request's spending within its account's
// balance and its key's limit without a disk write on the request path:
//
//   - Hold reserves a request's worst-case cost before it is forwarded,
//     against what the account can still spend: its balance in the store,
//     minus the charges settled here but not yet written, minus the holds
//     of the requests in flight. Concurrent requests therefore never spend
//     more than the balance, whatever their number. A key with a spending
//     limit is held against the limit the same way.
//   - Settle replaces the hold by the generation's actual cost and queues
//     the generation record; a background flusher writes the queue in one
//     transaction per batch (Ledger.RecordGenerations) at least every
//     flush interval. Settling twice is a no-op, and the store skips a
//     generation id it has already recorded, so a retried flush never
//     charges twice.
//   - Holds live in memory only: a crash releases them by construction.
//     It loses at most the generations settled in the last flush interval
//     (never charges them twice); Close flushes everything on a graceful
//     shutdown.
//   - A crash must still leave a trace of the requests it interrupted:
//     each flush also journals the holds (of a Budget with a Request) that
//     have been open for a flush interval, and forgets the journaled ones
//     that have ended (Ledger.JournalInflight). Short requests, the most,
//     open and end between two flushes and are never journaled. On start,
//     the store's RecoverInflight records each journaled request as an
//     interrupted generation.
//
// The store's balance and the books must describe the same moment: a
// balance read before a flush commits, used after the flush has taken its
// charges off the books, would count them nowhere and overspend. So every
// successful flush advances a sequence number, and a balance read by the
// caller (Budget.Seq, Budget.Balance) is trusted only if no flush has
// completed since; otherwise the accountant reads it itself, holding
// flushes off between its read and the booking. While an account has
// requests in flight or charges unwritten, its balance is kept (and
// replaced by the one each flush returns), so a busy account costs no read
// per request.
//
// One process keeps the books of its own requests: replicas sharing one
// database each hold against the balance they read, so two replicas can
// together overshoot a nearly exhausted balance by the requests they have
// in flight. (Cluster mode's shared holds are future work.)

// ErrInsufficient is what Hold's error matches (errors.Is) when the
// account (or the key's limit) cannot pay for even the minimum asked.
var ErrInsufficient = errors.New("billing: insufficient credits")

// InsufficientError is Hold's refusal: what could still be reserved, and
// whether the key's limit (rather than the balance) was the bound.
type InsufficientError struct {
	Available money.Amount
	KeyLimit  bool
}

func (e *InsufficientError) Error() string {
	if e.KeyLimit {
		return fmt.Sprintf("billing: key limit reached ($%s left)", e.Available)
	}
	return fmt.Sprintf("billing: insufficient credits ($%s available)", e.Available)
}

// Is makes an InsufficientError match ErrInsufficient.
func (e *InsufficientError) Is(target error) bool { return target == ErrInsufficient }

// Ledger is what the accountant needs of the store.
type Ledger interface {
	// RecordGenerations records a batch in one transaction, charging each
	// generation once (ids already recorded are skipped), and returns
	// the balances of the accounts in it afterwards.
	RecordGenerations(ctx context.Context, gens []store.Generation) (map[int64]money.Amount, error)
	// Balance is an account's balance as stored.
	Balance(ctx context.Context, accountID int64) (money.Amount, error)
	// KeySpend is what a key was charged since a time, BYOK generations
	// included or not.
	KeySpend(ctx context.Context, hash string, since time.Time, includeBYOK bool) (money.Amount, error)
	// JournalInflight records requests in flight and forgets ended ones.
	JournalInflight(ctx context.Context, open []store.Inflight, closed []string) error
}

// AccountantOptions configure an Accountant.
type AccountantOptions struct {
	// Written, when set, is called with each batch of generations once
	// it is written, in the flusher's goroutine (the usage rollups).
	Written func([]store.Generation)
	// FlushInterval bounds how long a settled generation waits before it
	// is written (default 100ms); MaxBatch is the size that triggers an
	// early flush (default 256).
	FlushInterval time.Duration
	MaxBatch      int
	// Instance names this process in the journal of requests in flight
	// (store.Inflight.Instance): what it journals, its next start
	// recovers. Default "switchyard".
	Instance string
	Logger   *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Registerer, when set, registers the accountant's metrics: how long
	// writing a batch takes, the records written, failed writes and the
	// records waiting.
	Registerer prometheus.Registerer
}

// flushBuckets are switchyard_billing_flush_seconds' buckets: a batch of
// a few hundred records takes milliseconds on SQLite.
var flushBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// Accountant holds, settles and records spending. It is safe for
// concurrent use. Start it with NewAccountant, stop it with Close.
type Accountant struct {
	ledger   Ledger
	interval time.Duration
	maxBatch int
	instance string
	logger   *slog.Logger
	now      func() time.Time
	// onWritten is AccountantOptions.Written.
	onWritten func([]store.Generation)

	flushTime      prometheus.Histogram // a batch's record, classification included
	recordsWritten prometheus.Counter   // records written
	failures       prometheus.Counter   // failed writes of a batch
	// flushes counts the flushes that had records to write by the
	// priority they ran at (see run): "low", on the flusher's lowered
	// thread, or "normal".
	flushes *prometheus.CounterVec

	// flushing lets one flush run at a time, so journal writes stay in
	// order, and none while a balance is read (those hold it shared): a
	// read that spans a flush is not trusted, and under load reads queue
	// for the store long enough to span one every time.
	flushing sync.RWMutex

	mu       sync.Mutex
	seq      uint64 // successful flushes so far
	closed   bool   // Close was called: Settle writes synchronously
	accounts map[int64]*books
	keys     map[string]*books
	queue    []queued
	// writing is the size of the batch a flush is writing, taken off
	// the queue but not yet written: with the queue, what
	// switchyard_billing_pending_records counts.
	writing int
	// open are the holds with a Request not yet ended; ended lists the
	// journaled ones that have, for the journal to forget.
	open  map[*Hold]struct{}
	ended []string

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// books are an account's or a key's money in flight: held for requests
// in progress, and settled but not yet written; and, once read, its base:
// the account's stored balance, or the key's stored spend since since.
type books struct {
	held, unwritten money.Amount
	known           bool
	base            money.Amount
	since           time.Time
}

func (b *books) idle() bool { return b.held == 0 && b.unwritten == 0 }

// queued is a settled generation waiting to be written; keyed says its
// cost is also counted against its key's limit.
type queued struct {
	g     store.Generation
	keyed bool
}

// NewAccountant starts an accountant writing to ledger.
func NewAccountant(ledger Ledger, o AccountantOptions) *Accountant {
	if o.FlushInterval <= 0 {
		o.FlushInterval = 100 * time.Millisecond
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Instance == "" {
		o.Instance = "switchyard"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &Accountant{
		ledger: ledger, interval: o.FlushInterval, maxBatch: o.MaxBatch, instance: o.Instance, logger: o.Logger,
		onWritten: o.Written,
		now:       o.Now,
		accounts:  make(map[int64]*books), keys: make(map[string]*books), open: make(map[*Hold]struct{}),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	a.flushTime = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "switchyard_billing_flush_seconds",
		Help:    "Time to write one batch of generation records and their charges (task classification included).",
		Buckets: flushBuckets})
	a.recordsWritten = prometheus.NewCounter(prometheus.CounterOpts{Name: "switchyard_billing_records_written_total",
		Help: "Generation records written with their charges."})
	a.failures = prometheus.NewCounter(prometheus.CounterOpts{Name: "switchyard_billing_flush_failures_total",
		Help: "Failed writes of a batch of generation records (kept, and retried at the next flush)."})
	a.flushes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_billing_flushes_total",
		Help: "Flushes of the billing writer that had generation records to write, by the OS priority they ran at: " +
			"low (the writer's lowered thread) or normal (a late flush, those after one that waited long for a core, " +
			"the last on shutdown, and all where priority cannot be lowered)."}, []string{"priority"})
	if o.Registerer != nil {
		o.Registerer.MustRegister(a.flushTime, a.recordsWritten, a.failures, a.flushes,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "switchyard_billing_pending_records",
				Help: "Generation records settled and not yet written (queued, or in the batch being written)."}, func() float64 {
				a.mu.Lock()
				defer a.mu.Unlock()
				return float64(len(a.queue) + a.writing)
			}))
	}
	go a.run()
	return a
}

// Budget names what a request may spend: its account's balance, and its
// key's limit if the key has one.
type Budget struct {
	AccountID int64
	KeyHash   string
	// Limit, when set, caps the key's charges since Since (the start of
	// the limit's current reset window; zero for a lifetime limit).
	// IncludeBYOK counts generations served with the account's own
	// provider keys toward it.
	Limit       *money.Amount
	Since       time.Time
	IncludeBYOK bool
	// Balance may carry the account's balance as the caller just read it
	// (with the key, when authenticating) if Seq, taken before that read,
	// is still current; it saves the accountant a read. Zero Seq: none.
	Balance money.Amount
	Seq     uint64
	// Request describes the request for the journal of requests in flight
	// (its ID, Model, Streamed and CreatedAt; the rest is filled in). An
	// empty ID: the hold is not journaled.
	Request store.Inflight
}

// Seq returns the current flush sequence number, for Budget.Seq.
func (a *Accountant) Seq() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seq + 1 // never 0, so that 0 means "no balance"
}

// Hold is a reservation for one request.
type Hold struct {
	a           *Accountant
	accountID   int64
	key         string // set when the key has a limit
	includeBYOK bool
	amount      money.Amount
	done        bool
	request     store.Inflight // empty ID: not journaled
	journaled   bool
}

// Amount is what the hold reserved.
func (h *Hold) Amount() money.Amount { return h.amount }

// Hold reserves worst, or as much as is available if that is less but at
// least minimum (the caller then caps the request to what was reserved).
// When not even minimum is available it returns an *InsufficientError;
// a minimum of 0 still needs something available. A balance it knew is
// read again before refusing, in case credits were added meanwhile.
func (a *Accountant) Hold(ctx context.Context, b Budget, minimum, worst money.Amount) (*Hold, error) {
	a.mu.Lock()
	acct, key := a.accounts[b.AccountID], a.keyBooks(b)
	if b.Seq == a.seq+1 && (acct == nil || !acct.known) {
		acct = a.book(a.accounts, b.AccountID)
		acct.known, acct.base = true, b.Balance
	}
	if acct != nil && acct.known && (b.Limit == nil || (key != nil && key.known && key.since.Equal(b.Since))) {
		h, err := a.reserve(b, acct, key, minimum, worst)
		if err == nil {
			a.mu.Unlock()
			return h, nil
		}
		acct.known = false // perhaps credits were added: read once more
		if key != nil {
			key.known = false
		}
	}
	a.forgetIdle(b)
	a.mu.Unlock()
	return a.readAndReserve(ctx, b, minimum, worst)
}

// readAndReserve reads b's balance (and key spend) and reserves against
// it. It holds a.flushing shared, so no flush completes between the read
// and the booking: the read describes the books.
func (a *Accountant) readAndReserve(ctx context.Context, b Budget, minimum, worst money.Amount) (*Hold, error) {
	a.flushing.RLock()
	defer a.flushing.RUnlock()
	balance, spent, err := a.read(ctx, b)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	acct := a.book(a.accounts, b.AccountID)
	acct.known, acct.base = true, balance
	var key *books
	if b.Limit != nil {
		key = a.bookKey(b.KeyHash)
		key.known, key.base, key.since = true, spent, b.Since
	}
	return a.reserve(b, acct, key, minimum, worst)
}

// keyBooks returns the books of b's key if it has a limit, nil otherwise;
// the caller holds a.mu.
func (a *Accountant) keyBooks(b Budget) *books {
	if b.Limit == nil {
		return nil
	}
	return a.keys[b.KeyHash]
}

// read reads b's balance and, if it has a limit, its key's spend.
func (a *Accountant) read(ctx context.Context, b Budget) (balance, spent money.Amount, err error) {
	balance, err = a.ledger.Balance(ctx, b.AccountID)
	if err != nil {
		return 0, 0, fmt.Errorf("billing: read balance of account %d: %w", b.AccountID, err)
	}
	if b.Limit != nil {
		spent, err = a.ledger.KeySpend(ctx, b.KeyHash, b.Since, b.IncludeBYOK)
		if err != nil {
			return 0, 0, fmt.Errorf("billing: read key spend: %w", err)
		}
	}
	return balance, spent, nil
}

// reserve books the hold against acct and key (nil without a limit); the
// caller holds a.mu. Books it created and did not use are forgotten.
func (a *Accountant) reserve(b Budget, acct, key *books, minimum, worst money.Amount) (*Hold, error) {
	avail := acct.base - acct.held - acct.unwritten
	keyBound := false
	if key != nil {
		if left := *b.Limit - key.base - key.held - key.unwritten; left < avail {
			avail, keyBound = left, true
		}
	}
	avail = max(avail, 0)
	if avail <= 0 || avail < minimum {
		a.forgetIdle(b)
		return nil, &InsufficientError{Available: avail, KeyLimit: keyBound}
	}
	amount := min(worst, avail)
	acct.held += amount
	h := &Hold{a: a, accountID: b.AccountID, amount: amount, includeBYOK: b.IncludeBYOK}
	if key != nil {
		key.held += amount
		h.key = b.KeyHash
	}
	if b.Request.ID != "" {
		h.request = b.Request
		h.request.Instance, h.request.AccountID, h.request.KeyHash, h.request.Held = a.instance, b.AccountID, b.KeyHash, amount
		if h.request.CreatedAt.IsZero() {
			h.request.CreatedAt = a.now()
		}
		a.open[h] = struct{}{}
	}
	return h, nil
}

// forgetIdle drops b's books if nothing is in flight for them; the caller
// holds a.mu.
func (a *Accountant) forgetIdle(b Budget) {
	if acct := a.accounts[b.AccountID]; acct != nil && acct.idle() {
		delete(a.accounts, b.AccountID)
	}
	if key := a.keys[b.KeyHash]; key != nil && key.idle() {
		delete(a.keys, b.KeyHash)
	}
}

func (a *Accountant) book(m map[int64]*books, id int64) *books {
	b := m[id]
	if b == nil {
		b = new(books)
		m[id] = b
	}
	return b
}

func (a *Accountant) bookKey(hash string) *books {
	b := a.keys[hash]
	if b == nil {
		b = new(books)
		a.keys[hash] = b
	}
	return b
}

// Release gives the hold back unused (the request failed before any
// upstream answered). Releasing or settling twice is a no-op.
func (h *Hold) Release() {
	a := h.a
	a.mu.Lock()
	defer a.mu.Unlock()
	if h.done {
		return
	}
	h.done = true
	a.unhold(h)
}

// Settle replaces the hold by the generation's cost and queues its record
// (g.Cost may exceed the hold when an upstream overran its cap; the charge
// is what was consumed). Settling twice is a no-op.
func (h *Hold) Settle(g store.Generation) {
	a := h.a
	a.mu.Lock()
	if h.done {
		a.mu.Unlock()
		return
	}
	h.done = true
	a.unhold(h)
	keyed := h.key != "" && (!g.IsBYOK || h.includeBYOK)
	a.book(a.accounts, h.accountID).unwritten += g.Cost
	if keyed {
		a.bookKey(h.key).unwritten += g.Cost
	}
	a.enqueue(queued{g: g, keyed: keyed})
}

// Record queues the record of a request that holds nothing: one refused
// or failed before its hold. It charges nothing (g.Cost is ignored).
func (a *Accountant) Record(g store.Generation) {
	g.Cost = 0
	a.mu.Lock()
	a.enqueue(queued{g: g})
}

// enqueue queues q, unlocks a.mu, and has the queue written: at once
// after Close, early when it is full, otherwise at the next flush.
func (a *Accountant) enqueue(q queued) {
	a.queue = append(a.queue, q)
	full, closed := len(a.queue) >= a.maxBatch, a.closed
	a.mu.Unlock()
	if closed {
		// A request that outlived Close (a shutdown that timed out) is
		// written at once: no flusher is left to do it.
		a.flushAll(context.Background())
		return
	}
	if full {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
}

// unhold removes h's reservation, and its journal entry if it has one;
// the caller holds a.mu.
func (a *Accountant) unhold(h *Hold) {
	if h.request.ID != "" {
		delete(a.open, h)
		if h.journaled {
			a.ended = append(a.ended, h.request.ID)
		}
	}
	acct := a.accounts[h.accountID]
	acct.held -= h.amount
	a.forget(acct, func() { delete(a.accounts, h.accountID) })
	if h.key != "" {
		k := a.keys[h.key]
		k.held -= h.amount
		a.forget(k, func() { delete(a.keys, h.key) })
	}
}

// forget drops idle books so that memory follows the requests in flight.
func (a *Accountant) forget(b *books, del func()) {
	if b.idle() {
		del()
	}
}

// run flushes the queue every interval, early when it fills up, and for
// the last time on Close. It runs on a thread of low priority (package
// background): a flush's CPU bursts, several milliseconds under load,
// otherwise show in the requests' p99 latency. That pays only where CPU is
// left over. On a machine short of CPU the thread waits for a core while
// holding one of the Go scheduler's Ps, which takes from the request path
// what it was meant to give, and can starve billing. So a flush that waited
// for a core for milliseconds, and longer than it ran, has the next ones
// run at the process's priority for a while; so do a flush that starts
// late and the last one, on Close.
func (a *Accountant) run() {
	defer close(a.done)
	th := background.Lower(a.logger)
	lowered, unlowered := a.flushes.WithLabelValues("low"), a.flushes.WithLabelValues("normal")
	if th == nil {
		lowered = unlowered // the thread keeps the process's priority
	}
	t := time.NewTicker(a.interval)
	defer t.Stop()
	normal := 0 // flushes left to run at the process's priority
	last := a.now()
	// Either way the flush runs in short steps and gives up its core
	// between them (background.Yield): a request's thread woken onto it
	// would otherwise wait for the flush, whatever its priority.
	ctx := background.Yielding(context.Background())
	for {
		select {
		case <-t.C:
		case <-a.wake:
		case <-a.stop:
			// Nothing should hold a shutdown back: the last flush runs
			// at the process's priority.
			a.countFlush(unlowered)
			atNormalPriority(func() { a.flushAll(context.Background()) })
			return
		}
		now := a.now()
		late := now.Sub(last) >= lateAfter*a.interval
		last = now
		if normal > 0 || late {
			normal = max(normal-1, 0)
			a.countFlush(unlowered)
			atNormalPriority(func() { a.flush(ctx) })
			continue
		}
		a.countFlush(lowered)
		before, ok := readSched(th)
		a.flush(ctx)
		if after, ok2 := readSched(th); ok && ok2 && a.contended(before, after) {
			normal = normalFlushes
		}
	}
}

// countFlush counts a flush about to run in c if it has records to write:
// the rounds of an idle flusher only look at the journal.
func (a *Accountant) countFlush(c prometheus.Counter) {
	a.mu.Lock()
	pending := len(a.queue) > 0
	a.mu.Unlock()
	if pending {
		c.Inc()
	}
}

// readSched reads th's scheduling account; tests replace it.
var readSched = (*background.Thread).Sched

// normalFlushes is how many flushes run at the process's priority after
// one at low priority found the machine short of CPU, before low priority
// is tried again: about a second at the default interval.
const normalFlushes = 10

// contended reports whether a flush between the readings before and after
// waited for a core for longer than twice the time it ran, and for more
// than a quarter of the flush interval (25 ms by default). A flush waits
// some on any busy machine without the machine being short of CPU: woken
// on a busy core, a few hundred µs; and it gives up its core between
// statements of a few records (background.Yield), forty-odd times for
// the 150 or so records of a flush at 1,500 requests/s, each yield
// waiting out another thread's turn, which on the bench's 2-vCPU VM added
// up to more than 5 ms (the bound before the yields) in a third to two
// thirds of the flushes at concurrency 1: the flusher ran at normal
// priority on account of its own yields. With this bound, alternating
// short runs of that bench (8 pairs) had a streamed Anthropic request
// with a 100 KB prompt at a c=1 p99 over the floor's of −482 µs (median)
// against −67, lower in 6 pairs of 8, the other scenario and 1,000/s
// within the noise, and the flushes kept up as before. A flusher the
// machine truly holds back still meets this bound, or starts late (see
// lateAfter).
func (a *Accountant) contended(before, after background.Sched) bool {
	waited := after.Waited - before.Waited
	return waited > 2*(after.Ran-before.Ran) && waited > a.interval/4
}

// atNormalPriority runs f on a goroutine of the process's priority (not
// the flusher's lowered thread) and waits for it.
func atNormalPriority(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// lateAfter is how many flush intervals after the one before a flush is
// late: the flusher is not keeping up. Flushes start an interval apart, or
// sooner when the queue fills, and later only when the one before took
// long (or the thread waited long for a core).
const lateAfter = 3

// maxTxRecords is the most records a flush writes in one transaction. A
// gateway driven past what its store writes (a burst, a max-RPS search)
// queues records faster than it writes them, and a flush takes what is
// queued: 77,151 records at once in a bench run, seconds of SQLite work,
// for all of which one transaction would hold the store's one write
// connection from every other writer (a key's creation, a payment's
// credit). 1,024 records are some 20–100 ms of it.
const maxTxRecords = 1024

// flush writes the generations queued when it starts, in batches of at
// most maxTxRecords, then the journal of requests in flight. On failure
// what is not written stays queued (and its charges stay counted) for the
// next flush.
func (a *Accountant) flush(ctx context.Context) error {
	a.flushing.Lock()
	defer a.flushing.Unlock()
	a.mu.Lock()
	left := len(a.queue) // records queued meanwhile wait for the next flush
	a.mu.Unlock()
	for left > 0 {
		a.mu.Lock()
		n := min(left, maxTxRecords, len(a.queue))
		if n == 0 { // cannot happen: only a flush takes from the queue
			a.mu.Unlock()
			break
		}
		batch := a.queue[:n:n] // a failed batch goes back before the rest
		if a.queue = a.queue[n:]; len(a.queue) == 0 {
			a.queue = nil
		}
		a.writing = n
		a.mu.Unlock()
		left -= n
		start := time.Now()
		err := a.record(ctx, batch)
		a.flushTime.Observe(time.Since(start).Seconds())
		a.mu.Lock()
		a.writing = 0 // written, or back on the queue
		a.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return a.journal(ctx)
}

// journal journals the holds open for a flush interval and forgets the
// journaled ones that ended. What fails to be written is retried by the
// next flush.
func (a *Accountant) journal(ctx context.Context) error {
	a.mu.Lock()
	cutoff := a.now().Add(-a.interval)
	var opened []*Hold
	var entries []store.Inflight
	for h := range a.open {
		if !h.journaled && h.request.CreatedAt.Before(cutoff) {
			h.journaled = true
			opened = append(opened, h)
			entries = append(entries, h.request)
		}
	}
	ended := a.ended
	a.ended = nil
	a.mu.Unlock()
	if len(entries) == 0 && len(ended) == 0 {
		return nil
	}
	err := a.ledger.JournalInflight(ctx, entries, ended)
	if err == nil {
		return nil
	}
	a.logger.LogAttrs(ctx, slog.LevelError, "journaling requests in flight failed; will retry",
		slog.Int("open", len(entries)), slog.Int("ended", len(ended)), slog.Any("error", err))
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, h := range opened {
		if _, ok := a.open[h]; ok {
			h.journaled = false
		} // else it ended meanwhile and is in a.ended: forgetting it is harmless
	}
	a.ended = append(a.ended, ended...)
	return err
}

// record writes a batch of queued generations; on failure the batch goes
// back to the head of the queue.
func (a *Accountant) record(ctx context.Context, batch []queued) error {
	if len(batch) == 0 {
		return nil
	}
	gens := make([]store.Generation, len(batch))
	for i := range batch {
		// Classified here rather than on each request's path: a batch
		// at a time, the classifier's model stays in cache. Once, as a
		// batch that fails to be written is queued again.
		if g := &batch[i].g; g.Categorize != nil {
			g.Category, g.Categorize = g.Categorize(), nil
			if i%8 == 7 { // some 4 µs each
				background.Yield(ctx)
			}
		}
		gens[i] = batch[i].g
	}
	balances, err := a.ledger.RecordGenerations(ctx, gens)
	if rejected(err) && len(batch) > 1 {
		// One generation the store refuses must not hold the others
		// back forever: write them one by one.
		for _, q := range batch {
			if err := a.record(ctx, []queued{q}); err != nil && !rejected(err) {
				return err
			}
		}
		return nil
	}
	if rejected(err) {
		a.logger.LogAttrs(ctx, slog.LevelError, "the store refused a generation record; it is dropped",
			slog.String("generation", batch[0].g.ID), slog.Int64("account", batch[0].g.AccountID),
			slog.String("cost", batch[0].g.Cost.String()), slog.Any("error", err))
		a.mu.Lock()
		defer a.mu.Unlock()
		a.written(batch, nil, false)
		return err
	}
	if err != nil {
		a.failures.Inc()
		a.logger.LogAttrs(ctx, slog.LevelError, "recording generations failed; will retry",
			slog.Int("generations", len(batch)), slog.Any("error", err))
		a.mu.Lock()
		a.queue = append(batch, a.queue...)
		a.mu.Unlock()
		return err
	}
	a.mu.Lock()
	a.seq++
	a.written(batch, balances, true)
	a.mu.Unlock()
	a.recordsWritten.Add(float64(len(gens)))
	if a.onWritten != nil {
		a.onWritten(gens)
	}
	return nil
}

// rejected reports a store error that retrying cannot cure.
func rejected(err error) bool {
	return errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound)
}

// written takes a batch's charges off the books, now that the store has
// them (charged) or has refused them, into the bases: the balances the
// store returned, and the keys' spend. The caller holds a.mu.
func (a *Accountant) written(batch []queued, balances map[int64]money.Amount, charged bool) {
	for _, q := range batch {
		g := q.g
		acct := a.accounts[g.AccountID]
		if acct == nil {
			continue // a record that held nothing (Record), of an idle account
		}
		acct.unwritten -= g.Cost
		if bal, ok := balances[g.AccountID]; ok {
			acct.known, acct.base = true, bal
		}
		a.forget(acct, func() { delete(a.accounts, g.AccountID) })
		if q.keyed {
			k := a.keys[g.KeyHash]
			k.unwritten -= g.Cost
			if charged {
				k.base += g.Cost
			}
			a.forget(k, func() { delete(a.keys, g.KeyHash) })
		}
	}
}

// flushAll flushes until the queue is empty, retrying failures a few
// times with a pause.
func (a *Accountant) flushAll(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = a.flush(ctx); err == nil {
			a.mu.Lock()
			empty := len(a.queue) == 0
			a.mu.Unlock()
			if empty {
				return nil
			}
			continue
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	return err
}

// Flush writes everything settled so far (tests, and before reading
// balances that must include it).
func (a *Accountant) Flush(ctx context.Context) error { return a.flushAll(ctx) }

// Close flushes everything settled and stops the flusher. Requests still
// in flight should have settled or released before; one that settles
// after Close is written synchronously by Settle.
func (a *Accountant) Close() {
	a.mu.Lock()
	first := !a.closed
	a.closed = true
	a.mu.Unlock()
	if first {
		close(a.stop)
	}
	<-a.done
}

// Store is the part of a store.Store an accountant writes to and reads.
type Store interface {
	RecordGenerations(ctx context.Context, gens []store.Generation) (map[int64]money.Amount, error)
	Account(ctx context.Context, id int64) (store.Account, error)
	KeySpend(ctx context.Context, hash string, since time.Time, includeBYOK bool) (money.Amount, error)
	JournalInflight(ctx context.Context, open []store.Inflight, closed []string) error
}

// StoreLedger is the Ledger of a store.
func StoreLedger(s Store) Ledger { return storeLedger{s} }

type storeLedger struct{ Store }

func (l storeLedger) Balance(ctx context.Context, accountID int64) (money.Amount, error) {
	a, err := l.Account(ctx, accountID)
	return a.Balance, err
}

// WindowStart is the start of the key-limit window containing now for a
// reset period (store.LimitReset*), in UTC: midnight for daily, Monday's
// midnight for weekly, the first of the month for monthly, and the zero
// time (all time) for none.
func WindowStart(reset string, now time.Time) time.Time {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch reset {
	case store.LimitResetDaily:
		return day
	case store.LimitResetWeekly:
		return day.AddDate(0, 0, -(int(day.Weekday())+6)%7)
	case store.LimitResetMonthly:
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Time{}
}
