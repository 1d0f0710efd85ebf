package api

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestConcurrentSpend is issue 5's proof that money is exact under
// concurrency: an account holding $1.00 sends 2,000 requests at once, each
// of which can cost at most $0.01 (10 output tokens at $0.001, free
// prompt) and costs exactly that. Exactly 100 are served and charged, the
// others are refused with 402 before reaching an upstream, the balance
// ends at zero and never below, and the ledger sums to it.
func TestConcurrentSpend(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { testConcurrentSpend(t, pg) })
	}
}

func testConcurrentSpend(t *testing.T, pg bool) {
	const (
		requests = 2000
		perCall  = money.NanoPerUSD / 100 // the worst case, and the actual cost
	)
	fake := providertest.NewOpenAI(t, providertest.WithUsage(providertest.Usage{PromptTokens: 12, CompletionTokens: 10}))
	e := newEnv(t, envOptions{
		upstreams: []upstream{{slug: "p", fake: fake, prompt: "0", completion: "0.001"}},
		credits:   money.NanoPerUSD,
		postgres:  pg,
	})
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}}
	body := `{"model":"` + modelA + `","max_tokens":10,"messages":[{"role":"user","content":"Hello"}]}`
	var (
		served, refused atomic.Int64
		ids             sync.Map
		wg              sync.WaitGroup
	)
	for range requests {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.key)
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				served.Add(1)
				ids.Store(resp.Header.Get("X-Generation-Id"), true)
			case http.StatusPaymentRequired:
				refused.Add(1)
			default:
				b, _ := io.ReadAll(resp.Body)
				t.Errorf("status %d: %s", resp.StatusCode, b)
			}
		})
	}
	wg.Wait()

	ctx := context.Background()
	if got := e.balance(); got != 0 {
		t.Errorf("final balance $%s, want $0", got)
	}
	if served.Load() != 100 || refused.Load() != requests-100 {
		t.Errorf("served %d, refused %d; want 100 and %d", served.Load(), refused.Load(), requests-100)
	}
	if n := len(fake.Requests()); n != int(served.Load()) {
		t.Errorf("%d upstream requests for %d served: refused requests must not reach an upstream", n, served.Load())
	}
	var charged money.Amount
	ids.Range(func(id, _ any) bool {
		g, err := e.store.Generation(ctx, id.(string))
		if err != nil {
			t.Errorf("generation %s: %v", id, err)
			return true
		}
		if g.Cost != perCall || g.CompletionTokens != 10 {
			t.Errorf("generation %s: cost $%s for %d tokens, want $0.01 for 10", id, g.Cost, g.CompletionTokens)
		}
		charged += g.Cost
		return true
	})
	if charged != money.NanoPerUSD {
		t.Errorf("charged $%s in all, want $1.00", charged)
	}
	bad, err := e.store.VerifyLedger(ctx)
	if err != nil || len(bad) != 0 {
		t.Errorf("ledger: %v %v", bad, err)
	}
	// Each charge is what the generations that name it cost.
	if bad, err := e.store.VerifyCharges(ctx); err != nil || len(bad) != 0 {
		t.Errorf("charges: %v %v", bad, err)
	}
	entries, err := e.store.Ledger(ctx, e.account.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sum money.Amount
	for _, le := range entries {
		sum += le.Amount
	}
	if sum != 0 {
		t.Errorf("ledger sums to $%s, want the balance $0 (%d entries)", sum, len(entries))
	}
}
