package billing

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// The accountant keeps every request's spending within its account's
// balance and its key's limit without a disk write on the request path:
//
//   - Hold reserves a request's worst-case cost before it is forwarded,
//     against what the account can still spend: its balance as the store
//     last reported it (read when the key was authenticated), minus the
//     charges settled here but not yet written, minus the holds of the
//     requests in flight. Concurrent requests therefore never spend more
//     than the balance, whatever their number.
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
//
// One process keeps the books of its own requests: replicas sharing one
// database each hold against the balance they read, so two replicas can
// together overshoot a nearly exhausted balance by the requests they have
// in flight. (Cluster mode's shared holds are future work.)

// ErrInsufficient is returned by Hold when the account (or the key's
// limit) cannot pay for even the minimum asked.
var ErrInsufficient = errors.New("billing: insufficient credits")

// Ledger is what the accountant needs of the store.
type Ledger interface {
	// RecordGenerations records a batch in one transaction, charging each
	// generation once (ids already recorded are skipped), and returns
	// the balances of the accounts in it afterwards.
	RecordGenerations(ctx context.Context, gens []store.Generation) (map[int64]money.Amount, error)
}

// AccountantOptions configure an Accountant.
type AccountantOptions struct {
	// FlushInterval bounds how long a settled generation waits before it
	// is written (default 100ms); MaxBatch is the size that triggers an
	// early flush (default 256).
	FlushInterval time.Duration
	MaxBatch      int
	Logger        *slog.Logger
}

// Accountant holds, settles and records spending. It is safe for
// concurrent use. Start it with NewAccountant, stop it with Close.
type Accountant struct {
	ledger   Ledger
	interval time.Duration
	maxBatch int
	logger   *slog.Logger

	mu       sync.Mutex
	accounts map[int64]*books
	keys     map[string]*books
	queue    []queued

	wake   chan struct{}
	stop   chan struct{}
	closed chan struct{}
}

// books are an account's or a key's money in flight: held for requests
// in progress, and settled but not yet written.
type books struct {
	held, unwritten money.Amount
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
	a := &Accountant{
		ledger: ledger, interval: o.FlushInterval, maxBatch: o.MaxBatch, logger: o.Logger,
		accounts: make(map[int64]*books), keys: make(map[string]*books),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), closed: make(chan struct{}),
	}
	go a.run()
	return a
}

// Budget is what a request may spend: the account's balance as just read
// from the store, and the key's limit (if any) with what it has spent in
// the limit's current window.
type Budget struct {
	AccountID int64
	Balance   money.Amount
	KeyHash   string
	// HasLimit says whether the key has a spending limit; Limit and Spent
	// are then its amount and its charges in the current window.
	HasLimit     bool
	Limit, Spent money.Amount
}

// Hold is a reservation for one request.
type Hold struct {
	a         *Accountant
	accountID int64
	key       string
	amount    money.Amount
	done      bool
}

// Amount is what the hold reserved.
func (h *Hold) Amount() money.Amount { return h.amount }

// Available is what b can still reserve now.
func (a *Accountant) Available(b Budget) money.Amount {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.available(b)
}

func (a *Accountant) available(b Budget) money.Amount {
	avail := b.Balance
	if acct := a.accounts[b.AccountID]; acct != nil {
		avail -= acct.held + acct.unwritten
	}
	if b.HasLimit {
		left := b.Limit - b.Spent
		if k := a.keys[b.KeyHash]; k != nil {
			left -= k.held + k.unwritten
		}
		avail = min(avail, left)
	}
	return max(avail, 0)
}

// Hold reserves worst, or as much as is available if that is less but at
// least minimum (the caller then caps the request to what was reserved).
// It returns ErrInsufficient when not even minimum is available; a
// minimum of 0 still needs something available.
func (a *Accountant) Hold(b Budget, minimum, worst money.Amount) (*Hold, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	avail := a.available(b)
	if avail <= 0 || avail < minimum {
		return nil, ErrInsufficient
	}
	amount := min(worst, avail)
	a.book(a.accounts, b.AccountID).held += amount
	if b.HasLimit {
		a.bookKey(b.KeyHash).held += amount
	}
	key := ""
	if b.HasLimit {
		key = b.KeyHash
	}
	return &Hold{a: a, accountID: b.AccountID, key: key, amount: amount}, nil
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
	a.book(a.accounts, h.accountID).unwritten += g.Cost
	if h.key != "" {
		a.bookKey(h.key).unwritten += g.Cost
	}
	a.queue = append(a.queue, queued{g: g, keyed: h.key != ""})
	full := len(a.queue) >= a.maxBatch
	a.mu.Unlock()
	if full {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
}

// unhold removes h's reservation; the caller holds a.mu.
func (a *Accountant) unhold(h *Hold) {
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
// the last time on Close.
func (a *Accountant) run() {
	defer close(a.closed)
	t := time.NewTicker(a.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-a.wake:
		case <-a.stop:
			a.flushAll(context.Background())
			return
		}
		a.flush(context.Background())
	}
}

// flush writes the queued generations in one batch. On failure they stay
// queued (and their charges stay counted) for the next flush.
func (a *Accountant) flush(ctx context.Context) error {
	a.mu.Lock()
	batch := a.queue
	a.queue = nil
	a.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	gens := make([]store.Generation, len(batch))
	for i, q := range batch {
		gens[i] = q.g
	}
	if _, err := a.ledger.RecordGenerations(ctx, gens); err != nil {
		a.logger.LogAttrs(ctx, slog.LevelError, "recording generations failed; will retry",
			slog.Int("generations", len(batch)), slog.Any("error", err))
		a.mu.Lock()
		a.queue = append(batch, a.queue...)
		a.mu.Unlock()
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, q := range batch {
		g := q.g
		acct := a.accounts[g.AccountID]
		acct.unwritten -= g.Cost
		a.forget(acct, func() { delete(a.accounts, g.AccountID) })
		if q.keyed {
			k := a.keys[g.KeyHash]
			k.unwritten -= g.Cost
			a.forget(k, func() { delete(a.keys, g.KeyHash) })
		}
	}
	return nil
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
// in flight must have settled or released before.
func (a *Accountant) Close() {
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	<-a.closed
}
