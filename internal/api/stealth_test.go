package api

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

const (
	quasar  = "switchyard/quasar-alpha" // stealth, served by secretprov
	nebula  = "switchyard/nebula-beta"  // stealth, served by secretfail, which fails
	pulsar  = "switchyard/pulsar-old"   // stealth and retired
	secretU = "hidden-gpt-9-preview"    // quasar's upstream model
)

// stealthSecrets are what no client-visible byte may contain.
var stealthSecretStrings = []string{"secretprov", "secretfail", "Provider SECRETPROV", "Provider SECRETFAIL", secretU, "hidden-nebula-1"}

// newStealthEnv serves three stealth models next to the public test
// models; the upstreams' error bodies name themselves and their models,
// as real ones do.
func newStealthEnv(t *testing.T) *env {
	good := providertest.NewOpenAI(t, providertest.WithUsage(providertest.Usage{PromptTokens: 5, CompletionTokens: 7}))
	bad := providertest.NewOpenAI(t, providertest.WithStatus(http.StatusBadRequest,
		`{"error":{"message":"The model hidden-nebula-1 does not exist at SecretFail (secretfail.example)","type":"invalid_request_error","code":"model_not_found"}}`))
	public := providertest.NewOpenAI(t)
	return newEnv(t, envOptions{
		upstreams: []upstream{
			{slug: "pub", fake: public, prompt: "0.000001"},
			{slug: "secretprov", fake: good, prompt: "0.000001"},
			{slug: "secretfail", fake: bad, prompt: "0.000001"},
		},
		options: func(o *Options) { o.Rankings.Public = true },
		catalog: func(f *catalog.File) {
			// The public models are served by "pub" only; each stealth
			// model by its own secret provider.
			for i := range f.Models {
				var keep []catalog.Endpoint
				for _, e := range f.Models[i].Endpoints {
					if e.Provider == "pub" {
						keep = append(keep, e)
					}
				}
				f.Models[i].Endpoints = keep
			}
			stealth := func(id, provider, upstream, successor string) catalog.Model {
				return catalog.Model{ID: id, CanonicalSlug: id, Name: "Stealth: " + id, ContextLength: 8192,
					InputModalities: []string{"text"}, OutputModalities: []string{"text"}, Tokenizer: "Other",
					Stealth: true, Successor: successor,
					Endpoints: []catalog.Endpoint{{Provider: provider, UpstreamModel: upstream, ContextLength: 8192,
						Pricing:             catalog.Pricing{Prompt: 1_000_000_000, Completion: 2_000_000_000},
						SupportedParameters: []string{"max_tokens", "temperature"}}}}
			}
			f.Models = append(f.Models,
				stealth(quasar, "secretprov", secretU, ""),
				stealth(nebula, "secretfail", "hidden-nebula-1", ""),
				stealth(pulsar, "secretprov", secretU, modelA))
		},
	})
}

// revealed returns the secrets found in b (case-insensitively).
func revealed(b []byte) []string {
	var found []string
	low := strings.ToLower(string(b))
	for _, s := range stealthSecretStrings {
		if strings.Contains(low, strings.ToLower(s)) {
			found = append(found, s)
		}
	}
	return found
}

// TestStealthRevealsNothing sends every kind of request a client can make
// about stealth models — served, streamed, failing before and after the
// first byte, probing with provider preferences, asking for a routing
// explanation — and reads everything it can read of them afterwards:
// no response byte or header names the real provider or upstream model.
func TestStealthRevealsNothing(t *testing.T) {
	e := newStealthEnv(t)
	admin := e.adminKey(e.account.ID)
	var ids []string
	check := func(what string, resp *http.Response) []byte {
		t.Helper()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var head strings.Builder
		resp.Header.Write(&head)
		if found := revealed(append(b, head.String()...)); len(found) > 0 {
			t.Errorf("%s reveals %v:\n%s\n%s", what, found, head.String(), b)
		}
		if id := resp.Header.Get("X-Generation-Id"); id != "" {
			ids = append(ids, id)
		}
		return b
	}
	chat := func(body string, header ...string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.key)
		req.Header.Set("HTTP-Referer", "https://lab-feedback.example")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	msg := `"messages":[{"role":"user","content":"Hello"}]`

	b := check("served", chat(`{"model":"`+quasar+`",`+msg+`}`, "X-Switchyard-Routing", "explain"))
	if !strings.Contains(string(b), `"provider":"Stealth"`) || !strings.Contains(string(b), `"model":"`+quasar+`"`) ||
		strings.Contains(string(b), "switchyard_routing") {
		t.Errorf("served: %s; want provider Stealth, the alias, no routing explanation", b)
	}
	b = check("streamed", chat(`{"model":"`+quasar+`","stream":true,`+msg+`}`))
	if !strings.Contains(string(b), `"provider":"Stealth"`) || !strings.Contains(string(b), "[DONE]") {
		t.Errorf("streamed: %s", b)
	}
	resp := chat(`{"model":"` + nebula + `",` + msg + `}`)
	b = check("failing", resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "does not exist at Stealth") {
		t.Errorf("failing: %d %s; want the upstream's 400 with its names replaced", resp.StatusCode, b)
	}
	check("failing, streamed", chat(`{"model":"`+nebula+`","stream":true,`+msg+`}`))
	check("fallback from failing to served", chat(`{"model":"`+nebula+`","models":["`+nebula+`","`+quasar+`"],`+msg+`}`))
	// Probing by provider: naming the real provider finds nothing; only
	// "stealth" names it.
	resp = chat(`{"model":"` + quasar + `","provider":{"only":["secretprov"]},` + msg + `}`)
	check("probe by only", resp)
	if resp.StatusCode == http.StatusOK {
		t.Error("provider.only naming the real provider served the stealth model: the probe tells which provider it is")
	}
	if resp := chat(`{"model":"` + quasar + `","provider":{"only":["stealth"]},` + msg + `}`); resp.StatusCode != http.StatusOK {
		t.Errorf("provider.only [stealth]: %d %s", resp.StatusCode, check("only stealth", resp))
	} else {
		check("only stealth", resp)
	}
	resp = chat(`{"model":"` + pulsar + `",` + msg + `}`)
	b = check("retired", resp)
	if resp.StatusCode != http.StatusGone || !strings.Contains(string(b), "model_deprecated") || !strings.Contains(string(b), modelA) {
		t.Errorf("retired: %d %s; want 410 model_deprecated naming %s", resp.StatusCode, b, modelA)
	}
	if err := e.api.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}

	reads := []string{"/api/v1/models", "/api/v1/models/" + quasar, "/api/v1/models/" + quasar + "/endpoints",
		"/api/v1/models/" + nebula + "/endpoints", "/api/v1/models?providers=secretprov", "/api/v1/activity",
		"/api/v1/activity?format=csv", "/api/v1/rankings/models", "/api/v1/rankings/providers", "/api/v1/rankings/apps",
		"/api/v1/rankings/value", "/api/v1/rankings/trending", "/api/v1/rankings/authors",
		"/api/v1/datasets/rankings-daily", "/api/v1/datasets/app-rankings", "/api/v1/classifications/task",
		"/api/v1/models/" + quasar + "/activity"}
	for _, id := range ids {
		reads = append(reads, "/api/v1/generation?id="+id)
	}
	for _, path := range reads {
		resp := e.do(http.MethodGet, path, "", admin)
		b := check("GET "+path, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
	}
	if b := check("GET /models?providers=secretprov", e.do(http.MethodGet, "/api/v1/models?providers=secretprov", "", e.key)); strings.Contains(string(b), quasar) {
		t.Errorf("filtering /models by the real provider lists the stealth model: %s", b)
	}

	// The operator sees the mapping, with a management key only.
	resp = e.do(http.MethodGet, "/api/v1/stealth", "", admin)
	b = readAll(t, resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), secretU) || !strings.Contains(string(b), `"retired":true`) {
		t.Errorf("GET /stealth: %d %s", resp.StatusCode, b)
	}
	errorEnvelope(t, e.do(http.MethodGet, "/api/v1/stealth", "", e.key), http.StatusForbidden)
}
