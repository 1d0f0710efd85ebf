package api

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/openaicompat"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/secretbox"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// testBYOK builds openai-compatible clients at url with an account's
// opened keys, as the app's implementation does for catalog providers.
type testBYOK struct {
	st  store.BillingStore
	box *secretbox.Box
	url string
}

func (b testBYOK) Clients(ctx context.Context, accountID int64) (map[string]provider.Provider, error) {
	sealed, err := b.st.ProviderKeys(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := map[string]provider.Provider{}
	for slug, s := range sealed {
		key, err := b.box.Open(s, BYOKContext(accountID, slug))
		if err != nil {
			return nil, err
		}
		c, err := openaicompat.New(provider.Config{Slug: slug, Name: slug, Protocol: "openai", BaseURL: b.url,
			APIKey: provider.Secret(key), HTTPClient: &http.Client{}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return nil, err
		}
		out[slug] = c
	}
	return out, nil
}

func (testBYOK) Forget(int64) {}

// managementKey adds a management key to e's account.
func (e *env) managementKey() string {
	e.t.Helper()
	key, hash, label := apikey.New()
	if _, err := e.store.CreateKey(context.Background(), store.NewKey{AccountID: e.account.ID, Hash: hash,
		Name: "admin", Label: label, IsManagement: true}); err != nil {
		e.t.Fatal(err)
	}
	return key.Reveal()
}

// TestBYOK: an account's own key is stored sealed, used first, and its
// generations cost the BYOK fee only; deleting it restores list price.
func TestBYOK(t *testing.T) {
	box, err := secretbox.Parse(secretbox.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	fake := providertest.NewOpenAI(t, providertest.WithUsage(providertest.Usage{PromptTokens: 12, CompletionTokens: 10}))
	e := newEnv(t, envOptions{
		upstreams: []upstream{{slug: "p", fake: fake, prompt: "0", completion: "0.001"}},
		credits:   money.NanoPerUSD,
		options: func(o *Options) {
			o.Secrets, o.BYOKFeePermille = box, 50
			o.BYOK = testBYOK{st: o.Store, box: box, url: fake.URL}
		},
	})
	admin := e.managementKey()
	put := `{"api_key":"sk-own-key"}`
	errorEnvelope(t, e.do(http.MethodPut, "/api/v1/byok/p", put, e.key), http.StatusForbidden)
	errorEnvelope(t, e.do(http.MethodPut, "/api/v1/byok/nosuch", put, admin), http.StatusNotFound)
	errorEnvelope(t, e.do(http.MethodPut, "/api/v1/byok/p", `{"api_key":""}`, admin), http.StatusBadRequest)
	if resp := e.do(http.MethodPut, "/api/v1/byok/p", put, admin); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", resp.StatusCode, readAll(t, resp.Body))
	}
	sealed, err := e.store.ProviderKeys(context.Background(), e.account.ID)
	if err != nil || len(sealed["p"]) == 0 || strings.Contains(string(sealed["p"]), "sk-own-key") {
		t.Fatalf("stored %q %v: want the key sealed", sealed["p"], err)
	}
	list := decodeMap(t, readAll(t, e.do(http.MethodGet, "/api/v1/byok", "", admin).Body))
	if data := list["data"].([]any); len(data) != 1 || data[0].(map[string]any)["provider"] != "p" {
		t.Fatalf("GET /byok %v", list)
	}

	body := `{"model":"` + modelA + `","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}`
	resp := e.post("/api/v1/chat/completions", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %d", resp.StatusCode)
	}
	if got := fake.Last().Header.Get("Authorization"); got != "Bearer sk-own-key" {
		t.Errorf("upstream Authorization %q, want the account's key", got)
	}
	g := e.generation(resp.Header.Get("X-Generation-Id"))
	// List price 10 × $0.001 = $0.01; BYOK fee 5% = $0.0005.
	if !g.IsBYOK || g.Cost != money.NanoPerUSD/2000 {
		t.Errorf("BYOK generation: is_byok %v, cost $%s; want true, $0.0005", g.IsBYOK, g.Cost)
	}

	if resp := e.do(http.MethodDelete, "/api/v1/byok/p", "", admin); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	errorEnvelope(t, e.do(http.MethodDelete, "/api/v1/byok/p", "", admin), http.StatusNotFound)
	resp = e.post("/api/v1/chat/completions", body)
	if got := fake.Last().Header.Get("Authorization"); got != "Bearer upstream-key" {
		t.Errorf("after DELETE, upstream Authorization %q", got)
	}
	if g := e.generation(resp.Header.Get("X-Generation-Id")); g.IsBYOK || g.Cost != money.NanoPerUSD/100 {
		t.Errorf("shared generation: is_byok %v, cost $%s", g.IsBYOK, g.Cost)
	}
}

// TestBYOKDisabled: without an operator key, no provider key is stored.
func TestBYOKDisabled(t *testing.T) {
	e, _ := milliEnv(t, money.NanoPerUSD, envOptions{})
	resp := e.do(http.MethodPut, "/api/v1/byok/p", `{"api_key":"sk-own-key"}`, e.managementKey())
	if got := errorEnvelope(t, resp, http.StatusBadRequest)["metadata"].(map[string]any)["error_type"]; got != "byok_disabled" {
		t.Errorf("error_type %v", got)
	}
}

// TestBYOKOnlyProvider: a provider the operator has no key for serves the
// accounts that brought their own, at the BYOK fee, and no one else.
func TestBYOKOnlyProvider(t *testing.T) {
	box, err := secretbox.Parse(secretbox.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	shared := providertest.NewOpenAI(t)
	own := providertest.NewOpenAI(t, providertest.WithUsage(providertest.Usage{PromptTokens: 12, CompletionTokens: 10}))
	e := newEnv(t, envOptions{
		// "own" is in the catalog, without an operator key: unroutable.
		upstreams: []upstream{{slug: "p", fake: shared, prompt: "0"}, {slug: "own", prompt: "0", completion: "0.001"}},
		credits:   money.NanoPerUSD,
		options: func(o *Options) {
			o.Secrets, o.BYOKFeePermille = box, 50
			o.BYOK = testBYOK{st: o.Store, box: box, url: own.URL}
		},
		catalog: func(f *catalog.File) { // model B is offered by "own" only
			for i := range f.Models {
				if f.Models[i].ID == modelB {
					f.Models[i].Endpoints = slices.DeleteFunc(f.Models[i].Endpoints, func(e catalog.Endpoint) bool { return e.Provider != "own" })
				}
			}
		},
	})
	body := `{"model":"` + modelB + `","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}`
	resp := e.post("/api/v1/chat/completions", body)
	if resp.StatusCode == http.StatusOK {
		t.Fatal("a provider without any key served the request")
	}
	readAll(t, resp.Body)
	if resp := e.do(http.MethodPut, "/api/v1/byok/own", `{"api_key":"sk-mine"}`, e.managementKey()); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", resp.StatusCode, readAll(t, resp.Body))
	}
	resp = e.post("/api/v1/chat/completions", body)
	if b := readAll(t, resp.Body); resp.StatusCode != http.StatusOK {
		t.Fatalf("with the account's key: %d %s", resp.StatusCode, b)
	}
	if got := own.Last().Header.Get("Authorization"); got != "Bearer sk-mine" {
		t.Errorf("upstream Authorization %q, want the account's key", got)
	}
	g := e.generation(resp.Header.Get("X-Generation-Id"))
	if !g.IsBYOK || g.ProviderSlug != "own" || g.Cost != money.NanoPerUSD/2000 {
		t.Errorf("generation: is_byok %v provider %q cost $%s; want true, own, $0.0005 (5%% of $0.01)", g.IsBYOK, g.ProviderSlug, g.Cost)
	}
	// Another account, without a key of its own, still cannot use it.
	other, _ := e.newKey(money.NanoPerUSD)
	if resp := e.do(http.MethodPost, "/api/v1/chat/completions", body, other); resp.StatusCode == http.StatusOK {
		t.Error("an account without its own key was served by the BYOK-only provider")
	}
}
