package api

import (
	"io"
	"sync/atomic"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apierr"
)

// bodyBudget bounds the bytes of request bodies held at once. A request
// keeps its body for as long as it runs (its prompt is sent upstream from
// it, and relayed streams last), so under a load past
// capacity, bodies pile up in memory with the requests queued behind the
// CPU: 100 KB prompts drove a gateway past 1 GB of RSS. Past the budget a
// request is refused at once with 503 and Retry-After, before its body is
// read, rather than queued: shedding keeps the requests already admitted
// fast, and a client retries where a queue would time out.
type bodyBudget struct {
	limit int64 // ≤ 0: unbounded
	used  atomic.Int64
}

// overloadRetryAfter is the Retry-After of a request refused for want of
// body budget: requests finish in well under a second, freeing theirs.
const overloadRetryAfter = time.Second

// take reserves n bytes, reporting whether they fit.
func (b *bodyBudget) take(n int64) bool {
	if b.limit <= 0 || n <= 0 {
		return true
	}
	for {
		used := b.used.Load()
		if used+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// give returns n bytes taken.
func (b *bodyBudget) give(n int64) {
	if b.limit > 0 && n > 0 {
		b.used.Add(-n)
	}
}

// errOverloaded is the error of a request refused for want of budget.
func errOverloaded() *apierr.Error {
	return overloaded("the gateway is holding as many request bytes as it allows; retry shortly")
}

// errShortOfMemory refuses a request while the process is short of
// memory (Options.MemoryShort).
func errShortOfMemory() *apierr.Error {
	return overloaded("the gateway is near its memory limit; retry shortly")
}

// overloaded is a 503 of error_type overloaded, to retry after
// overloadRetryAfter.
func overloaded(message string) *apierr.Error {
	e := apierr.New(apierr.Unavailable, "%s", message).With("error_type", "overloaded")
	e.RetryAfter = overloadRetryAfter
	return e
}

// budgetReadSize bounds a budgetReader's reads: the budget a read takes
// for a moment is its buffer's size, which grows with the body.
const budgetReadSize = 32 << 10

// budgetReader reads a body of unannounced length (chunked), taking
// budget for each read before it is made and keeping what was read.
type budgetReader struct {
	r     io.Reader
	b     *bodyBudget
	taken int64
	err   error // errOverloaded once refused
}

func (br *budgetReader) Read(p []byte) (int, error) {
	if br.err != nil {
		return 0, br.err
	}
	p = p[:min(len(p), budgetReadSize)]
	if !br.b.take(int64(len(p))) {
		br.err = errOverloaded()
		return 0, br.err
	}
	n, err := br.r.Read(p)
	br.b.give(int64(len(p) - n))
	br.taken += int64(n)
	return n, err
}
