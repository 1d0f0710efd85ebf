package bench

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// TestGatewayConfig: the generated configuration loads, validates and
// applies to the catalog, with both providers and priced models.
func TestGatewayConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.yaml")
	yaml := gatewayConfig("127.0.0.1:4000", filepath.Join(t.TempDir(), "a b.db"), "http://127.0.0.1:4001")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Providers) != 2 || cfg.Providers[1].Protocol != catalog.ProtocolAnthropic || cfg.Providers[0].APIKey != upstreamKey {
		t.Fatalf("providers %+v", cfg.Providers)
	}
	file := &catalog.File{}
	o := catalog.Overlay{Models: cfg.Models}
	for _, p := range cfg.Providers {
		o.Providers = append(o.Providers, p.ProviderOverlay)
	}
	if err := file.Apply(o); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{gatewayModelOpenAI, gatewayModelAnthropic, gatewayModelIdle} {
		m := cat.Model(id)
		if m == nil || len(m.Endpoints) != 1 || m.Endpoints[0].Pricing.Prompt <= 0 {
			t.Errorf("model %s: %+v", id, m)
		}
	}
}

// TestRequests: each scenario's bodies are valid requests of the right
// size for the right model and dialect.
func TestRequests(t *testing.T) {
	for _, sc := range Scenarios {
		tr := sc.requests("http://gw", "sk-test")
		var req openai.ChatRequest
		if err := json.Unmarshal(tr.gateway.Body, &req); err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		if req.Stream != sc.Stream || len(req.Messages) != 2 || len(req.Messages[1].Content.Text) != sc.PromptBytes ||
			tr.gateway.Header.Get("Authorization") != "Bearer sk-test" {
			t.Errorf("%s: gateway request %+v", sc.Name, req)
		}
		up := tr.upstream("http://up")
		var body map[string]any
		if err := json.Unmarshal(up.Body, &body); err != nil {
			t.Fatalf("%s: upstream body: %v", sc.Name, err)
		}
		wantPath := "http://up/v1/chat/completions"
		if sc.Protocol == ProtocolAnthropic {
			wantPath = "http://up/v1/messages"
			if body["system"] == nil || body["max_tokens"] == nil {
				t.Errorf("%s: not an Anthropic request: %v", sc.Name, body)
			}
		}
		if up.URL != wantPath || (body["stream"] == true) != sc.Stream || up.Stream != sc.Stream {
			t.Errorf("%s: upstream request to %s, stream %v", sc.Name, up.URL, body["stream"])
		}
	}
}

// TestScenarioSelection: --scenarios picks load scenarios and the idle
// streams independently, and refuses names that select nothing.
func TestScenarioSelection(t *testing.T) {
	all := Options{}
	if !all.selects(Scenarios[0].Name) || !all.selects(IdleScenario) {
		t.Error("no selection must select everything")
	}
	idle := Options{Scenarios: []string{IdleScenario}}
	if err := idle.checkScenarios(); err != nil {
		t.Fatal(err)
	}
	if !idle.selects(IdleScenario) || idle.selects(Scenarios[0].Name) {
		t.Error(`"idle" must select the idle streams alone`)
	}
	load := Options{Scenarios: []string{Scenarios[1].Name}}
	if load.selects(IdleScenario) || !load.selects(Scenarios[1].Name) || load.selects(Scenarios[0].Name) {
		t.Errorf("%q must select that scenario alone", Scenarios[1].Name)
	}
	names := ScenarioNames()
	if len(names) != len(Scenarios)+1 || names[len(names)-1] != IdleScenario {
		t.Errorf("ScenarioNames() = %q", names)
	}
	if err := (Options{Scenarios: []string{"json-1k", "jsn-100k"}}).checkScenarios(); err == nil ||
		!strings.Contains(err.Error(), `"jsn-100k"`) {
		t.Errorf("a misspelt scenario: %v", err)
	}
	if _, err := Run(context.Background(), Options{Scenarios: []string{"nope"}}); err == nil {
		t.Error("Run accepted an unknown scenario")
	}
}
