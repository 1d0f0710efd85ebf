package catalog

import (
	"reflect"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
)

func TestLongContextOverrides(t *testing.T) {
	const src = `{
  "claude-sonnet-4-20250514": {
    "litellm_provider": "anthropic", "mode": "chat",
    "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
    "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
    "cache_creation_input_token_cost_above_1hr": 6e-06,
    "cache_creation_input_token_cost_above_1hr_above_200k_tokens": 1.2e-05,
    "input_cost_per_token_above_200k_tokens": 6e-06,
    "input_cost_per_token_above_200k_tokens_priority": 9e-06,
    "output_cost_per_token_above_200k_tokens": 2.25e-05,
    "cache_read_input_token_cost_above_200k_tokens": 6e-07,
    "cache_creation_input_token_cost_above_200k_tokens": 7.5e-06,
    "output_cost_per_token_above_512k_tokens": 3e-05,
    "input_cost_per_token_above_128k_tokens": 4e-06
  },
  "gemini/gemini-exp-1206": {
    "litellm_provider": "gemini", "mode": "chat",
    "input_cost_per_token": 0, "output_cost_per_token": 0,
    "input_cost_per_token_above_128k_tokens": 0, "output_cost_per_token_above_128k_tokens": 0
  },
  "dashscope/qwen3-max": {
    "litellm_provider": "dashscope", "mode": "chat",
    "tiered_pricing": [
      {"input_cost_per_token": 1.2e-06, "output_cost_per_token": 6e-06, "range": [0, 32000.0]},
      {"input_cost_per_token": 2.4e-06, "output_cost_per_token": 1.2e-05, "output_cost_per_reasoning_token": 2e-05, "cache_read_input_token_cost": 5e-07, "range": [32000.0, 128000.0]},
      {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "range": [128000.0, 252000.0]}
    ]
  }
}`
	f, err := build([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := money.MustRate
	for _, tc := range []struct {
		model string
		want  []PriceOverride
	}{
		{"anthropic/claude-sonnet-4", []PriceOverride{
			{MinPromptTokens: 128_001, Prompt: r("0.000004")},
			{MinPromptTokens: 200_001, Prompt: r("0.000006"), Completion: r("0.0000225"),
				InputCacheRead: r("0.0000006"), InputCacheWrite: r("0.0000075")},
			{MinPromptTokens: 512_001, Completion: r("0.00003")},
		}},
		{"google/gemini-exp-1206", nil}, // zero prices are no override
		{"qwen/qwen3-max", []PriceOverride{
			{MinPromptTokens: 32_001, Prompt: r("0.0000024"), Completion: r("0.000012"),
				InputCacheRead: r("0.0000005"), InternalReasoning: r("0.00002")},
			{MinPromptTokens: 128_001, Prompt: r("0.000003"), Completion: r("0.000015")},
		}},
	} {
		m := findModel(f, tc.model)
		if m == nil || len(m.Endpoints) != 1 {
			t.Fatalf("%s: model = %+v", tc.model, m)
		}
		if got := m.Endpoints[0].Pricing.Overrides; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: overrides =\n %+v\nwant\n %+v", tc.model, got, tc.want)
		}
	}
	if p := findModel(f, "qwen/qwen3-max").Endpoints[0].Pricing; p.Prompt != r("0.0000012") || p.Completion != r("0.000006") {
		t.Errorf("qwen3-max base price = %+v, want the first tier", p)
	}
}

func TestLongContextImplausibleSkipsEntry(t *testing.T) {
	const src = `{"claude-sonnet-4-20250514": {"litellm_provider": "anthropic", "mode": "chat",
	  "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
	  "input_cost_per_token_above_200k_tokens": 6}}`
	f, err := build([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Models) != 0 {
		t.Errorf("models = %+v, want the entry skipped", f.Models)
	}
	if _, err := build([]byte(`{"claude-sonnet-4-20250514": {"litellm_provider": "anthropic", "mode": "chat",
	  "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
	  "output_cost_per_token_above_200k_tokens": "lots"}}`)); err == nil {
		t.Error("a malformed long-context price was accepted")
	}
}

// TestBundledLongContextPrices checks known long-context prices in the
// bundled catalog.
func TestBundledLongContextPrices(t *testing.T) {
	c, err := New(generatedFile(t))
	if err != nil {
		t.Fatal(err)
	}
	r := money.MustRate
	for _, tc := range []struct {
		model, provider string
		tokens          int
		prompt, compl   money.Rate
	}{
		{"google/gemini-2.5-pro", "google-ai-studio", 200_000, r("0.00000125"), r("0.00001")},
		{"google/gemini-2.5-pro", "google-ai-studio", 200_001, r("0.0000025"), r("0.000015")},
		{"anthropic/claude-sonnet-4", "anthropic", 150_000, r("0.000003"), r("0.000015")},
		{"anthropic/claude-sonnet-4", "anthropic", 250_000, r("0.000006"), r("0.0000225")},
		{"openai/gpt-5.4", "openai", 272_001, r("0.000005"), r("0.0000225")},
	} {
		m := c.Model(tc.model)
		if m == nil {
			t.Fatalf("%s missing", tc.model)
		}
		found := false
		for _, e := range m.Endpoints {
			if e.Provider != tc.provider {
				continue
			}
			found = true
			p := e.Pricing.At(utc(12, 0, 0), tc.tokens)
			if p.Prompt != tc.prompt || p.Completion != tc.compl {
				t.Errorf("%s at %s, %d tokens: %s/%s, want %s/%s", tc.model, tc.provider, tc.tokens, p.Prompt, p.Completion, tc.prompt, tc.compl)
			}
		}
		if !found {
			t.Errorf("%s has no %s endpoint", tc.model, tc.provider)
		}
	}
}
