package router

import (
	"cmp"
	"math"
	"math/bits"
	"slices"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/health"
)

// item is a candidate being ordered, with its sort keys.
type item struct {
	ep *endpointPlan
	// cost is the request's expected cost on the endpoint in
	// femto-dollars, saturating.
	cost int64
	// rank is the position of the endpoint's provider in provider.order,
	// or len(order).
	rank int
	// demoted says why the endpoint moves to the back, worst reason in
	// the highest bit.
	demoted demotion
	// lacks are the soft parameters the endpoint does not support.
	lacks paramSet
	// metric is the sort's measure (throughput or latency), when known.
	metric      float64
	metricKnown bool
	// weight is the endpoint's 1/price² weight when it was in the draw of
	// price-weighted load balancing, and share its chance of winning it.
	weight, share float64
}

// demotion is a set of reasons an endpoint goes to the back; a higher
// value sorts later.
type demotion uint8

const (
	demotedSlow      demotion = 1 << iota // misses preferred_min_throughput / preferred_max_latency
	demotedLacks                          // lacks a soft parameter the request uses
	demotedUnhealthy                      // recent outage or open circuit breaker
)

// Strategies, as Explanation.Strategy reports them.
const (
	strategyPriceWeighted = "price-weighted"
	strategyOrder         = "order"
	strategySticky        = "sticky"
)

var sortStrategies = [...]string{sortPrice: "sort:price", sortThroughput: "sort:throughput", sortLatency: "sort:latency"}

// order sorts items in place, the request's preferences and the
// endpoints' health deciding, and returns how many to keep (all unless
// allow_fallbacks is false) and the strategy used. variant is the sort of
// the model's variant (:nitro, :floor), overridden by provider.sort.
func (p *planner) order(items []item, s *spec, variant sortBy, n *need, sticky string) (int, string) {
	if len(items) == 0 {
		return 0, ""
	}
	by := s.sort
	if by == sortNone {
		by = variant
	}
	var supported paramSet // the soft parameters some endpoint has
	for i := range items {
		supported |= items[i].ep.supports
	}
	soft := n.soft & supported
	now := p.r.now()
	for i := range items {
		it := &items[i]
		// The prices of this hour and this prompt size (time-of-day and
		// long-context overrides).
		pricing := it.ep.cand.Endpoint.Pricing.At(now, int(n.promptTokens))
		it.cost = expectedCost(&pricing, n)
		it.rank = rank(s.order, &it.ep.cand)
		it.lacks = soft &^ it.ep.supports
		if it.lacks != 0 {
			it.demoted |= demotedLacks
		}
		if unhealthy(it.ep.cand.Health) {
			it.demoted |= demotedUnhealthy
		}
		if s.slow(it.ep.cand.Health) {
			it.demoted |= demotedSlow
		}
		if by != sortNone {
			it.metric, it.metricKnown = metric(by, it.ep.cand.Health)
		}
	}
	slices.SortFunc(items, func(a, b item) int { return compareItems(&a, &b, by) })

	strategy := strategyPriceWeighted
	switch {
	case len(s.order) > 0:
		strategy = strategyOrder
	case by != sortNone:
		strategy = sortStrategies[by]
	case sticky != "" && p.stick(items, sticky):
		strategy = strategySticky
	default:
		p.balance(items)
	}
	if !s.noFallbacks {
		return len(items), strategy
	}
	kept := 0
	for kept < len(items) && items[kept].rank < len(s.order) {
		kept++
	}
	return max(kept, 1), strategy
}

// compareItems orders: provider.order first (by cost within one rank);
// then the others by demotion, then by the sort's metric (known before
// unknown), then by expected cost, ties by tag.
func compareItems(a, b *item, by sortBy) int {
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	if c := cmp.Compare(a.demoted, b.demoted); c != 0 {
		return c
	}
	if by == sortThroughput || by == sortLatency {
		if a.metricKnown != b.metricKnown {
			if a.metricKnown {
				return -1
			}
			return 1
		}
		c := cmp.Compare(a.metric, b.metric)
		if by == sortThroughput {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	if c := cmp.Compare(a.cost, b.cost); c != 0 {
		return c
	}
	return cmp.Compare(a.ep.cand.Endpoint.Tag, b.ep.cand.Endpoint.Tag)
}

// balance is OpenRouter's default load balancing over sorted items: among
// the leading endpoints that are healthy and equally preferred, the first
// is drawn at random with weight 1/price²; the rest keep their order.
func (p *planner) balance(items []item) {
	head := items[0].demoted
	if head&demotedUnhealthy != 0 {
		return // nothing stable to balance between
	}
	pool := 1
	for pool < len(items) && items[pool].demoted == head && items[pool].rank == items[0].rank {
		pool++
	}
	total := 0.0
	for i := range items[:pool] {
		items[i].weight = weight(items[i].cost)
		total += items[i].weight
	}
	for i := range items[:pool] {
		items[i].share = items[i].weight / total
	}
	if pool == 1 {
		return
	}
	x := p.r.rng.Float64() * total
	pick := pool - 1
	for i := range items[:pool] {
		if x < items[i].weight {
			pick = i
			break
		}
		x -= items[i].weight
	}
	chosen := items[pick]
	copy(items[1:pick+1], items[:pick])
	items[0] = chosen
}

// freeCost is the expected cost, in USD, a free endpoint is weighted as:
// far below any priced request, so free endpoints win the draw almost
// always, with a finite weight.
const freeCost = 1e-12

// weight is 1/price² with the price in USD.
func weight(femto int64) float64 {
	usd := max(float64(femto)/1e15, freeCost)
	return 1 / (usd * usd)
}

// stick moves the endpoint of provider sticky to the front when it is
// healthy and supports what the request uses, and reports whether it did.
func (p *planner) stick(items []item, sticky string) bool {
	for i := range items {
		if items[i].ep.cand.Provider.Slug == sticky && items[i].demoted&(demotedUnhealthy|demotedLacks) == 0 {
			chosen := items[i]
			copy(items[1:i+1], items[:i])
			items[0] = chosen
			return true
		}
	}
	return false
}

// expectedCost estimates the request's cost on an endpoint in
// femto-dollars: prompt and expected output tokens, the request fee and
// the images, saturating instead of overflowing.
func expectedCost(pr *catalog.Pricing, n *need) int64 {
	c := mulSat(int64(pr.Prompt), n.promptTokens)
	c = addSat(c, mulSat(int64(pr.Completion), n.expectedOutput))
	c = addSat(c, int64(pr.Request))
	return addSat(c, mulSat(int64(pr.Image), n.images))
}

func mulSat(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0 // negative prices or counts do not lower an estimate
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

func addSat(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}

// rank is the position of the first provider.order entry naming c, or
// len(order).
func rank(order []string, c *Candidate) int {
	for i, s := range order {
		if matches(s, c) {
			return i
		}
	}
	return len(order)
}

// unhealthy reports a recent outage, or an open circuit breaker whose
// probe is not due yet.
func unhealthy(h *health.Endpoint) bool {
	return h.RecentOutage() || h.BreakerState() != health.BreakerClosed && !h.ProbeDue()
}

// metric is the sort's measure on an endpoint: the 5-minute median
// throughput (tokens/s) or latency (ms). Price sorts need none.
func metric(by sortBy, h *health.Endpoint) (float64, bool) {
	switch by {
	case sortThroughput:
		return h.ThroughputP50()
	case sortLatency:
		return h.LatencyP50()
	}
	return 0, false
}

// slow reports an endpoint that misses a preferred throughput or latency
// with data to show it.
func (s *spec) slow(h *health.Endpoint) bool {
	return s.minThroughput.set && s.minThroughput.missedBy(h.Throughput(), false) ||
		s.maxLatency.set && s.maxLatency.missedBy(h.Latency(), true)
}

// missedBy reports whether measured percentiles miss the thresholds:
// below them, or above them for a maximum.
func (l *percentileLimit) missedBy(got health.Percentiles, maximum bool) bool {
	if got.Count == 0 {
		return false
	}
	miss := func(limit, v float64) bool {
		if limit == 0 {
			return false
		}
		if maximum {
			return v > limit
		}
		return v < limit
	}
	return miss(l.p50, got.P50) || miss(l.p75, got.P75) || miss(l.p90, got.P90) || miss(l.p99, got.P99)
}
