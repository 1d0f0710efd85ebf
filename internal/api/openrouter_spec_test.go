package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/openai/openaitest"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/openaicompat"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/router"
)

// The catalog endpoints reproduce OpenRouter's API, so what they return is
// checked against OpenRouter's published OpenAPI spec: each operation's
// response schema, and the component schemas of the objects in it.
//
// One deliberate deviation: the spec's PublicEndpoint.provider_name is a
// closed enum (ProviderName) of the providers OpenRouter itself routes to.
// Switchyard's providers are whatever its catalog and config say, with
// their own display names, so provider_name is the provider's name as
// everywhere else in the API (chat responses, error metadata), and
// exemptProviderName takes it out of the check.

func specEnv(t *testing.T) *env {
	return newEnv(t, envOptions{upstreams: []upstream{
		{slug: "alpha", fake: providertest.NewOpenAI(t), prompt: "0.000001"},
		{slug: "offline", prompt: "0.0000005"}, // listed, not routable
	}})
}

// get fetches path without a key and returns the body, failing t unless
// the status is want.
func (e *env) get(path string, want int) []byte {
	e.t.Helper()
	resp := e.do(http.MethodGet, path, "", "")
	body := readAll(e.t, resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("GET %s: status %d, want %d: %s", path, resp.StatusCode, want, body)
	}
	return body
}

// elements returns the JSON array at key "data" of body, one element each.
func elements(t *testing.T, body []byte) []json.RawMessage {
	t.Helper()
	var doc struct{ Data []json.RawMessage }
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Data) == 0 {
		t.Fatalf("no data array (%v): %s", err, body)
	}
	return doc.Data
}

func TestOpenRouterSpecModels(t *testing.T) {
	e := specEnv(t)
	for _, query := range []string{"", "?limit=1", "?offset=1&limit=1", "?sort=newest&output_modalities=all"} {
		body := e.get("/api/v1/models"+query, http.StatusOK)
		openaitest.OpenRouter.ValidateResponse(t, "GET", "/models", http.StatusOK, body)
		for _, m := range elements(t, body) {
			openaitest.OpenRouter.Validate(t, "Model", m)
		}
	}
	// /models/{author}/{slug} is not in the spec; its data is a Model.
	var one struct{ Data json.RawMessage }
	json.Unmarshal(e.get("/api/v1/models/"+modelA, http.StatusOK), &one)
	openaitest.OpenRouter.Validate(t, "Model", one.Data)
}

// Models without endpoints still list a Model object.
func TestOpenRouterSpecModelsWithoutEndpoints(t *testing.T) {
	e := newEnv(t, envOptions{})
	body := e.get("/api/v1/models", http.StatusOK)
	openaitest.OpenRouter.ValidateResponse(t, "GET", "/models", http.StatusOK, body)
	body = e.get("/api/v1/models/"+modelA+"/endpoints", http.StatusOK)
	openaitest.OpenRouter.ValidateResponse(t, "GET", "/models/{author}/{slug}/endpoints", http.StatusOK, body)
}

func TestOpenRouterSpecEndpoints(t *testing.T) {
	e := specEnv(t)
	body := e.get("/api/v1/models/"+modelA+"/endpoints", http.StatusOK)
	body = exemptProviderName(t, body, []string{"Provider ALPHA", "Provider OFFLINE"})
	openaitest.OpenRouter.ValidateResponse(t, "GET", "/models/{author}/{slug}/endpoints", http.StatusOK, body)
	var doc struct {
		Data struct{ Endpoints []json.RawMessage }
	}
	json.Unmarshal(body, &doc)
	if len(doc.Data.Endpoints) != 2 {
		t.Fatalf("%d endpoints: %s", len(doc.Data.Endpoints), body)
	}
	for _, ep := range doc.Data.Endpoints {
		openaitest.OpenRouter.Validate(t, "PublicEndpoint", ep)
	}
}

func TestOpenRouterSpecProviders(t *testing.T) {
	e := specEnv(t)
	body := e.get("/api/v1/providers", http.StatusOK)
	openaitest.OpenRouter.ValidateResponse(t, "GET", "/providers", http.StatusOK, body)
}

func TestOpenRouterSpecErrors(t *testing.T) {
	e := specEnv(t)
	emptyKey, _ := e.newKey(0)
	tests := []struct {
		name, method, path, specPath, body, key string
		status                                  int
	}{
		{"unknown model", "POST", "/api/v1/chat/completions", "/chat/completions",
			`{"model":"nope/nothing","messages":[{"role":"user","content":"x"}]}`, e.key, 400},
		{"broken JSON", "POST", "/api/v1/chat/completions", "/chat/completions", `{"model":`, e.key, 400},
		{"no key", "POST", "/api/v1/chat/completions", "/chat/completions", chatBody, "", 401},
		{"no credits", "POST", "/api/v1/chat/completions", "/chat/completions", chatBody, emptyKey, 402},
		{"bad limit", "GET", "/api/v1/models?limit=0", "/models", "", "", 400},
		{"unknown model endpoints", "GET", "/api/v1/models/no/such/endpoints", "/models/{author}/{slug}/endpoints", "", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(tt.method, tt.path, tt.body, tt.key)
			body := readAll(t, resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			openaitest.OpenRouter.ValidateResponse(t, tt.method, tt.specPath, tt.status, body)
		})
	}

	// No routable endpoint: 503.
	off := newEnv(t, envOptions{upstreams: []upstream{{slug: "offline", prompt: "0.000001"}}})
	resp := off.post("/api/v1/chat/completions", chatBody)
	body := readAll(t, resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	openaitest.OpenRouter.ValidateResponse(t, "POST", "/chat/completions", resp.StatusCode, body)
}

// exemptProviderName checks that each endpoint's provider_name in an
// endpoints list is one of names, and replaces it with a name from the
// spec's ProviderName enum so that the rest of the document can be
// checked. See the comment at the top of this file.
func exemptProviderName(t *testing.T, body []byte, names []string) []byte {
	t.Helper()
	doc := decodeMap(t, body)
	data, _ := doc["data"].(map[string]any)
	endpoints, _ := data["endpoints"].([]any)
	for i, ep := range endpoints {
		ep, _ := ep.(map[string]any)
		name, _ := ep["provider_name"].(string)
		if !slices.Contains(names, name) {
			t.Fatalf("endpoint %d: provider_name %v, want one of %q", i, ep["provider_name"], names)
		}
		ep["provider_name"] = "OpenAI"
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The bundled catalog, as served, conforms too: every model, every
// endpoint of every model, and every provider. This is where values the
// catalog generates (tokenizers, modalities, quantizations, parameters)
// meet the spec's enums.
func TestOpenRouterSpecBundledCatalog(t *testing.T) {
	f, err := catalog.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New(f)
	if err != nil {
		t.Fatal(err)
	}
	adapters := provider.NewRegistry()
	adapters.Register(catalog.ProtocolOpenAI, openaicompat.New)
	rt := router.New(cat, router.Options{Adapters: adapters, FirstByteTimeout: time.Second,
		RequestTimeout: time.Second, StreamIdleTimeout: time.Second})
	srv := httptest.NewServer(New(Options{Catalog: cat, Router: rt}).Handler())
	t.Cleanup(srv.Close)
	get := func(path string) []byte {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body := readAll(t, resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d: %s", path, resp.StatusCode, body)
		}
		return body
	}

	body := get("/api/v1/models?output_modalities=all")
	openaitest.OpenRouter.ValidateResponse(t, "GET", "/models", http.StatusOK, body)
	models := elements(t, body)
	if len(models) != len(cat.Models()) {
		t.Fatalf("listed %d of %d models", len(models), len(cat.Models()))
	}
	var names []string
	for _, p := range cat.Providers() {
		names = append(names, p.Name)
	}
	for _, m := range cat.Models() {
		body := get("/api/v1/models/" + m.ID + "/endpoints")
		body = exemptProviderName(t, body, names)
		if err := openaitest.OpenRouter.CheckResponse("GET", "/models/{author}/{slug}/endpoints", http.StatusOK, body); err != nil {
			t.Errorf("%s: %v", m.ID, err)
		}
	}
	openaitest.OpenRouter.ValidateResponse(t, "GET", "/providers", http.StatusOK, get("/api/v1/providers"))
}
