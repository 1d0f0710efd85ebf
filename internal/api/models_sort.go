package api

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// The sorts of GET /models that read live traffic: each model's figure,
// from the health registry or the usage rollups.
const (
	sortThroughput = "throughput-high-to-low" // the fastest endpoint's median output tokens per second, 30 minutes
	sortLatency    = "latency-low-to-high"    // the quickest endpoint's median time to first token, 30 minutes
	sortPopular    = "most-popular"           // tokens over the week, as GET /rankings/models?period=week
	sortWeekly     = "top-weekly"             // the same weekly ranking
)

// sortByTraffic orders models by the figures of a traffic sort, best
// first (highest, or lowest for latency). Models without a figure keep
// the catalog order after those with one. It reports false for other
// sorts.
func (s *Server) sortByTraffic(ctx context.Context, models []*catalog.Model, by string) (bool, error) {
	var (
		fig map[string]float64
		err error
	)
	switch by {
	case sortThroughput, sortLatency:
		fig = s.healthFigures(by)
	case sortPopular, sortWeekly:
		fig, err = s.weeklyTokens(ctx)
	default:
		return false, nil
	}
	if err != nil {
		return true, err
	}
	slices.SortStableFunc(models, func(a, b *catalog.Model) int {
		fa, okA := fig[a.ID]
		fb, okB := fig[b.ID]
		switch {
		case !okA || !okB:
			return cmp.Compare(boolRank(okB), boolRank(okA)) // with a figure first
		case by == sortLatency:
			return cmp.Compare(fa, fb)
		default:
			return cmp.Compare(fb, fa)
		}
	})
	return true, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// healthFigures are each model's best median over its endpoints in the
// last 30 minutes, from the live health: the highest throughput, or the
// lowest latency. Endpoints without data in the window give none.
func (s *Server) healthFigures(by string) map[string]float64 {
	fig, _ := s.sortFigures.get(by, s.now(), func() (map[string]float64, error) {
		fig := map[string]float64{}
		h := s.router.Health()
		if h == nil {
			return fig, nil
		}
		h.Each(func(_, model string, e *health.Endpoint) {
			st := e.Stats()
			p, better := st.Throughput30m, func(v, best float64) bool { return v > best }
			if by == sortLatency {
				p, better = st.Latency30m, func(v, best float64) bool { return v < best }
			}
			if best, ok := fig[model]; p.Count > 0 && (!ok || better(p.P50, best)) {
				fig[model] = p.P50
			}
		})
		return fig, nil
	})
	return fig
}

// weeklyTokens are the models' total tokens over the week the rankings
// call this week (the last 7 UTC days, today included), read as GET
// /rankings/models?period=week reads them. Models without usage give
// none.
func (s *Server) weeklyTokens(ctx context.Context) (map[string]float64, error) {
	return s.sortFigures.get("week", s.now(), func() (map[string]float64, error) {
		rq := rankingQuery{period: "week", days: periods["week"], end: store.Day(s.now()).AddDate(0, 0, 1)}
		by, _, _, err := s.usageByModel(ctx, rq.usage(rq.window(0)))
		if err != nil {
			return nil, err
		}
		fig := make(map[string]float64, len(by))
		for model, u := range by {
			if u.Total() > 0 {
				fig[model] = float64(u.Total())
			}
		}
		return fig, nil
	})
}

// sortFigureTTL is how long GET /models reuses the figures its traffic
// sorts read (every endpoint's histograms, a week of usage rollups), as
// the web UI's catalog does: a busy listing then reads them at most once
// per figure and period.
const sortFigureTTL = 15 * time.Second

// figureCache holds the traffic sorts' figures, by kind (a sort, or
// "week"), for sortFigureTTL.
type figureCache struct {
	mu      sync.Mutex
	entries map[string]figureEntry
}

type figureEntry struct {
	at  time.Time
	fig map[string]float64
}

// get returns the figures of kind if fresh at now, or computes and caches
// them. Errors are not cached; concurrent misses may compute twice.
func (c *figureCache) get(kind string, now time.Time, compute func() (map[string]float64, error)) (map[string]float64, error) {
	c.mu.Lock()
	e, ok := c.entries[kind]
	c.mu.Unlock()
	if ok && !now.Before(e.at) && now.Sub(e.at) < sortFigureTTL {
		return e.fig, nil
	}
	fig, err := compute()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]figureEntry{}
	}
	c.entries[kind] = figureEntry{at: now, fig: fig}
	return fig, nil
}
