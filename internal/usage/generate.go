package usage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// GenerateOptions describe synthetic usage history.
type GenerateOptions struct {
	// Records is how many generation records to make, spread over the Days
	// UTC days ending with End's (default: today), growing over time.
	Records int
	Days    int
	End     time.Time
	// Models are the models to use (catalog ids), most popular first:
	// popularity falls off as a Zipf law.
	Models []string
	// Apps and Keys are how many synthetic apps and API keys to spread
	// the traffic over (defaults 200 and 50).
	Apps, Keys int
	Seed       uint64
	// Batch is how many records each import writes (default 20,000).
	Batch int
	// Progress, when set, is called after each batch with the records
	// written so far.
	Progress func(done int)
}

// GenerateStats is what Generate did and how fast.
type GenerateStats struct {
	Records      int
	Import       time.Duration // writing the generation records
	Rollup       time.Duration // writing their rollups
	ImportPerSec float64       // records per second, records only
	TotalPerSec  float64       // records per second, records and rollups
}

// categories are the task categories, with the generator's mix.
var categories = []struct {
	name   string
	weight float64
}{
	{"programming", 30}, {"roleplay", 14}, {"technology", 9}, {"marketing", 6}, {"marketing/seo", 3},
	{"science", 6}, {"translation", 6}, {"legal", 3}, {"finance", 4}, {"health", 3}, {"trivia", 5},
	{"academia", 4}, {"other", 7},
}

// Generate writes synthetic generation records with ImportGenerations (in
// an account of its own, "usage-generator", with Keys keys) and their
// rollups with AddUsage, for rankings at scale. The records are
// deterministic for a seed.
func Generate(ctx context.Context, st store.Store, o GenerateOptions) (GenerateStats, error) {
	if o.Records <= 0 || o.Days <= 0 || len(o.Models) == 0 {
		return GenerateStats{}, fmt.Errorf("generate: records, days and models are required")
	}
	if o.Apps <= 0 {
		o.Apps = 200
	}
	if o.Keys <= 0 {
		o.Keys = 50
	}
	if o.Batch <= 0 {
		o.Batch = 20_000
	}
	if o.End.IsZero() {
		o.End = time.Now()
	}
	end := store.Day(o.End).AddDate(0, 0, 1)
	start := end.AddDate(0, 0, -o.Days)
	acct, err := st.CreateAccount(ctx, "usage-generator", 0)
	if err != nil {
		return GenerateStats{}, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))
	keys := make([]string, o.Keys)
	for i := range keys {
		keys[i] = fmt.Sprintf("usage-generator-%d-%08x-%d", acct.ID, rng.Uint32(), i)
		if _, err := st.CreateKey(ctx, store.NewKey{AccountID: acct.ID, Hash: keys[i], Name: fmt.Sprintf("generated %d", i)}); err != nil {
			return GenerateStats{}, err
		}
	}
	models := newZipf(rng, len(o.Models), 1.1)
	apps := newZipf(rng, o.Apps, 1.3)
	var catTotal float64
	for _, c := range categories {
		catTotal += c.weight
	}
	pickCategory := func() string {
		x := rng.Float64() * catTotal
		for _, c := range categories {
			if x -= c.weight; x < 0 {
				return c.name
			}
		}
		return "other"
	}
	span := end.Sub(start)
	var (
		stats   GenerateStats
		pending = map[store.UsageKey]*store.UsageRow{}
	)
	writeRollups := func() error {
		rows := make([]store.UsageRow, 0, len(pending))
		for _, r := range pending {
			rows = append(rows, *r)
		}
		t0 := time.Now()
		err := st.AddUsage(ctx, rows)
		stats.Rollup += time.Since(t0)
		clear(pending)
		return err
	}
	batch := make([]store.Generation, 0, o.Batch)
	for n := 0; n < o.Records; {
		batch = batch[:0]
		for ; len(batch) < o.Batch && n < o.Records; n++ {
			// Traffic grows over the period: the square root of a
			// uniform variable puts more of it near the end. Each app, as
			// real ones do, uses one key, a few models and mostly one
			// task category.
			at := start.Add(time.Duration(math.Sqrt(rng.Float64()) * float64(span)))
			app := apps.next()
			model := o.Models[models.next()]
			if rng.IntN(4) > 0 { // mostly the app's own models
				model = o.Models[(app*7+rng.IntN(3))%len(o.Models)]
			}
			category := categories[app%len(categories)].name
			if rng.IntN(5) == 0 {
				category = pickCategory()
			}
			g := store.Generation{
				ID: fmt.Sprintf("gen-synth-%d-%d", acct.ID, n), AccountID: acct.ID, KeyHash: keys[app%len(keys)],
				Model: model, ProviderSlug: "synthetic", ProviderName: "Synthetic",
				HTTPReferer: fmt.Sprintf("https://app-%d.example", app), AppTitle: fmt.Sprintf("App %d", app),
				Category: category, AppPrivate: app%17 == 0,
				Status: 200, FinishReason: "stop",
				PromptTokens: 50 + rng.IntN(4000), CompletionTokens: 10 + rng.IntN(800),
				LatencyMs: int64(200 + rng.IntN(1500)), GenerationTimeMs: int64(500 + rng.IntN(9000)),
				CreatedAt: at,
			}
			g.ReasoningTokens = g.CompletionTokens / 4 * rng.IntN(2)
			g.Cost = money.Amount(g.PromptTokens*150 + g.CompletionTokens*600)
			if rng.IntN(50) == 0 {
				g.Status, g.FinishReason, g.ProviderSlug, g.ProviderName = 502, "error", "", ""
				g.PromptTokens, g.CompletionTokens, g.ReasoningTokens, g.Cost = 0, 0, 0, 0
			}
			batch = append(batch, g)
			u := store.UsageOf(g)
			if p := pending[u.UsageKey]; p != nil {
				p.Merge(u)
			} else {
				pending[u.UsageKey] = &u
			}
		}
		t0 := time.Now()
		if err := st.ImportGenerations(ctx, batch); err != nil {
			return stats, err
		}
		stats.Import += time.Since(t0)
		stats.Records = n
		if len(pending) > 500_000 {
			if err := writeRollups(); err != nil {
				return stats, err
			}
		}
		if o.Progress != nil {
			o.Progress(n)
		}
		if err := ctx.Err(); err != nil {
			return stats, err
		}
	}
	if err := writeRollups(); err != nil {
		return stats, err
	}
	if m, ok := st.(store.UsageMaintainer); ok {
		t0 := time.Now()
		err := m.MaintainUsage(ctx)
		stats.Rollup += time.Since(t0)
		if err != nil {
			return stats, err
		}
	}
	stats.ImportPerSec = float64(stats.Records) / stats.Import.Seconds()
	stats.TotalPerSec = float64(stats.Records) / (stats.Import + stats.Rollup).Seconds()
	return stats, nil
}

// zipf draws 0…n-1 with probability ∝ 1/(k+1)^s.
type zipf struct {
	rng *rand.Rand
	cdf []float64
}

func newZipf(rng *rand.Rand, n int, s float64) *zipf {
	z := &zipf{rng: rng, cdf: make([]float64, n)}
	var sum float64
	for k := range n {
		sum += 1 / math.Pow(float64(k+1), s)
		z.cdf[k] = sum
	}
	for k := range z.cdf {
		z.cdf[k] /= sum
	}
	return z
}

func (z *zipf) next() int {
	x := z.rng.Float64()
	lo, hi := 0, len(z.cdf)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if z.cdf[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
