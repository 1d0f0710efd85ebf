package catalog

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// generated runs Generate on the checked-in price file once per test run.
var generated = sync.OnceValues(func() ([]byte, error) {
	src, err := os.ReadFile(filepath.Join("source", SourceName))
	if err != nil {
		return nil, err
	}
	return Generate(src)
})

// generatedFile decodes the generated catalog.
func generatedFile(t *testing.T) *File {
	t.Helper()
	out, err := generated()
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	var f File
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatalf("decode generated catalog: %v", err)
	}
	return &f
}

func findModel(f *File, id string) *Model {
	for i := range f.Models {
		if f.Models[i].ID == id {
			return &f.Models[i]
		}
	}
	return nil
}

func TestBundledCatalogUpToDate(t *testing.T) {
	got, err := generated()
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if bytes.Equal(got, bundled) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(bundled), "\n")
	line := 0
	for line < len(gotLines) && line < len(wantLines) && gotLines[line] == wantLines[line] {
		line++
	}
	t.Fatalf("data/catalog.json is not what Generate makes of source/%s (first difference at line %d);\n"+
		"run `go generate ./internal/catalog` and commit the result", SourceName, line+1)
}

func TestGenerateIsDeterministic(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("source", SourceName))
	if err != nil {
		t.Fatal(err)
	}
	first, _ := generated()
	again, err := Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Fatal("two Generate runs differ")
	}
	if !bytes.HasSuffix(again, []byte("}\n")) {
		t.Error("output does not end in a newline")
	}
}

func TestGenerateRejectsBadInput(t *testing.T) {
	for name, src := range map[string]string{
		"not json":     `{`,
		"bad price":    `{"m": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": "x", "output_cost_per_token": 1}}`,
		"wrong shape":  `[]`,
		"bad token ct": `{"m": {"litellm_provider": "openai", "mode": "chat", "max_tokens": {}}}`,
	} {
		if _, err := Generate([]byte(src)); err == nil {
			t.Errorf("%s: Generate succeeded", name)
		}
	}
}

func TestCatalogThresholds(t *testing.T) {
	f := generatedFile(t)
	serving := map[string]bool{}
	models := 0
	for _, m := range f.Models {
		if len(m.Endpoints) > 0 {
			models++
		}
		for _, e := range m.Endpoints {
			serving[e.Provider] = true
		}
	}
	if models < 300 {
		t.Errorf("%d models with endpoints, want ≥ 300", models)
	}
	if len(serving) < 60 {
		t.Errorf("%d providers serve a model, want ≥ 60", len(serving))
	}
	for _, p := range f.Providers {
		if !serving[p.Slug] {
			t.Errorf("provider %q is listed but serves nothing", p.Slug)
		}
	}
	if f.Source != SourceName {
		t.Errorf("Source = %q, want %q", f.Source, SourceName)
	}
}

func TestClaude37SonnetCollapses(t *testing.T) {
	f := generatedFile(t)
	m := findModel(f, "anthropic/claude-3.7-sonnet")
	if m == nil {
		t.Fatal("anthropic/claude-3.7-sonnet missing")
	}
	if m.CanonicalSlug != "anthropic/claude-3-7-sonnet-20250219" {
		t.Errorf("canonical slug = %q", m.CanonicalSlug)
	}
	if m.Name != "Anthropic: Claude 3.7 Sonnet" {
		t.Errorf("name = %q", m.Name)
	}
	want := map[string]string{
		"anthropic":      "claude-3-7-sonnet-20250219",
		"amazon-bedrock": "anthropic.claude-3-7-sonnet-20250219-v1:0",
		"google-vertex":  "claude-3-7-sonnet@20250219",
	}
	for _, e := range m.Endpoints {
		if up, ok := want[e.Provider]; ok {
			if e.UpstreamModel != up {
				t.Errorf("%s upstream = %q, want %q", e.Provider, e.UpstreamModel, up)
			}
			delete(want, e.Provider)
		}
	}
	for p := range want {
		t.Errorf("no %s endpoint", p)
	}
	for _, other := range []string{"anthropic/claude-3.7-sonnet-20250219", "anthropic/claude-3-7-sonnet"} {
		if findModel(f, other) != nil {
			t.Errorf("%s should have collapsed into anthropic/claude-3.7-sonnet", other)
		}
	}
}

func TestSnapshotRule(t *testing.T) {
	f := generatedFile(t)
	for _, tc := range []struct {
		id, canonical string
	}{
		// One snapshot date: alias and snapshot are one model.
		{"openai/gpt-4o-mini", "openai/gpt-4o-mini-2024-07-18"},
		{"anthropic/claude-opus-4", "anthropic/claude-opus-4-20250514"},
		// Several snapshot dates: one model each plus the undated alias.
		{"openai/gpt-4o", "openai/gpt-4o"},
		{"openai/gpt-4o-2024-08-06", "openai/gpt-4o-2024-08-06"},
		{"anthropic/claude-3.5-sonnet-20240620", "anthropic/claude-3-5-sonnet-20240620"},
		// Four-digit tags are versions, never collapsed.
		{"deepseek/deepseek-v3-0324", "deepseek/deepseek-v3-0324"},
		{"deepseek/deepseek-v3", "deepseek/deepseek-v3"},
	} {
		m := findModel(f, tc.id)
		if m == nil {
			t.Errorf("%s missing", tc.id)
			continue
		}
		if m.CanonicalSlug != tc.canonical {
			t.Errorf("%s: canonical slug = %q, want %q", tc.id, m.CanonicalSlug, tc.canonical)
		}
	}
}

func TestParseKey(t *testing.T) {
	specs := specIndex()
	for _, tc := range []struct {
		key, provider string
		id, upstream  string
		date, quant   string
	}{
		{"claude-3-7-sonnet-20250219", "anthropic", "anthropic/claude-3.7-sonnet", "claude-3-7-sonnet-20250219", "20250219", ""},
		{"anthropic.claude-3-7-sonnet-20250219-v1:0", "bedrock_converse", "anthropic/claude-3.7-sonnet", "anthropic.claude-3-7-sonnet-20250219-v1:0", "20250219", ""},
		{"vertex_ai/claude-3-7-sonnet@20250219", "vertex_ai-anthropic_models", "anthropic/claude-3.7-sonnet", "claude-3-7-sonnet@20250219", "20250219", ""},
		{"claude-4-opus-20250514", "anthropic", "anthropic/claude-opus-4", "claude-4-opus-20250514", "20250514", ""},
		{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock_converse", "anthropic/claude-sonnet-4.5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "20250929", ""},
		{"bedrock/us-west-2/mistral.mixtral-8x7b-instruct-v0:1", "bedrock", "mistralai/mixtral-8x7b-instruct", "mistral.mixtral-8x7b-instruct-v0:1", "", ""},
		{"meta.llama3-1-405b-instruct-v1:0", "bedrock", "meta-llama/llama-3.1-405b-instruct", "meta.llama3-1-405b-instruct-v1:0", "", ""},
		{"us.deepseek.r1-v1:0", "bedrock_converse", "deepseek/deepseek-r1", "us.deepseek.r1-v1:0", "", ""},
		{"fireworks_ai/accounts/fireworks/models/llama-v3p1-70b-instruct", "fireworks_ai", "meta-llama/llama-3.1-70b-instruct", "accounts/fireworks/models/llama-v3p1-70b-instruct", "", ""},
		{"together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "together_ai", "meta-llama/llama-3.3-70b-instruct", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "", ""},
		{"deepinfra/meta-llama/Meta-Llama-3.1-70B-Instruct", "deepinfra", "meta-llama/llama-3.1-70b-instruct", "meta-llama/Meta-Llama-3.1-70B-Instruct", "", ""},
		{"cerebras/llama3.1-8b", "cerebras", "meta-llama/llama-3.1-8b-instruct", "llama3.1-8b", "", ""},
		{"groq/llama-3.3-70b-versatile", "groq", "meta-llama/llama-3.3-70b-instruct", "llama-3.3-70b-versatile", "", ""},
		{"cloudflare/@cf/meta/llama-3.3-70b-instruct-fp8-fast", "cloudflare", "meta-llama/llama-3.3-70b-instruct", "@cf/meta/llama-3.3-70b-instruct-fp8-fast", "", "fp8"},
		{"ollama/llama3:70b", "ollama", "meta-llama/llama-3-70b-instruct", "llama3:70b", "", ""},
		{"vertex_ai/meta/llama-4-maverick-17b-128e-instruct-maas", "vertex_ai-llama_models", "meta-llama/llama-4-maverick", "meta/llama-4-maverick-17b-128e-instruct-maas", "", ""},
		{"openrouter/anthropic/claude-3.7-sonnet", "openrouter", "anthropic/claude-3.7-sonnet", "anthropic/claude-3.7-sonnet", "", ""},
		{"openrouter/z-ai/glm-4.6:exacto", "openrouter", "z-ai/glm-4.6", "z-ai/glm-4.6:exacto", "", ""},
		{"azure/eu/gpt-4o-2024-08-06", "azure", "openai/gpt-4o", "gpt-4o-2024-08-06", "2024-08-06", ""},
		{"azure/gpt-35-turbo-16k", "azure", "openai/gpt-3.5-turbo-16k", "gpt-35-turbo-16k", "", ""},
		{"snowflake/openai-gpt-4.1", "snowflake", "openai/gpt-4.1", "openai-gpt-4.1", "", ""},
		{"gemini/gemini-2.5-flash", "gemini", "google/gemini-2.5-flash", "gemini-2.5-flash", "", ""},
		{"xai/grok-4-1-fast-reasoning", "xai", "x-ai/grok-4.1-fast-reasoning", "grok-4-1-fast-reasoning", "", ""},
		{"moonshot/kimi-k2-0905-preview", "moonshot", "moonshotai/kimi-k2-0905", "kimi-k2-0905-preview", "", ""},
		{"groq/moonshotai/kimi-k2-instruct-0905", "groq", "moonshotai/kimi-k2-0905", "moonshotai/kimi-k2-instruct-0905", "", ""},
		{"novita/qwen/qwen3-235b-a22b-fp8", "novita", "qwen/qwen3-235b-a22b", "qwen/qwen3-235b-a22b-fp8", "", "fp8"},
		{"dashscope/qwen3-coder-plus-2025-07-22", "dashscope", "qwen/qwen3-coder-plus", "qwen3-coder-plus-2025-07-22", "2025-07-22", ""},
		{"cerebras/zai-glm-4.6", "cerebras", "z-ai/glm-4.6", "zai-glm-4.6", "", ""},
		{"mistral/mistral-small-3-2-2506", "mistral", "mistralai/mistral-small-3.2-24b-instruct", "mistral-small-3-2-2506", "", ""},
		{"volcengine/deepseek-v3-2-251201", "volcengine", "deepseek/deepseek-v3.2", "deepseek-v3-2-251201", "", ""},
		{"tensormesh/lukealonso/GLM-5.1-NVFP4-MTP", "tensormesh", "z-ai/glm-5.1", "lukealonso/GLM-5.1-NVFP4-MTP", "", "fp4"},
		{"command-r-plus", "cohere_chat", "cohere/command-r-plus", "command-r-plus", "", ""},
	} {
		t.Run(tc.key, func(t *testing.T) {
			spec := specs[tc.provider]
			if spec == nil {
				t.Fatalf("no provider for %q", tc.provider)
			}
			n, ok := parseKey(tc.key, spec)
			if !ok {
				t.Fatal("parseKey rejected the key")
			}
			if n.id() != tc.id || n.upstream != tc.upstream || n.date != tc.date || n.quant != tc.quant {
				t.Errorf("got id %q upstream %q date %q quant %q\nwant id %q upstream %q date %q quant %q",
					n.id(), n.upstream, n.date, n.quant, tc.id, tc.upstream, tc.date, tc.quant)
			}
		})
	}
}

func TestParseKeyRejects(t *testing.T) {
	specs := specIndex()
	for _, tc := range []struct{ key, provider string }{
		{"ft:gpt-4o-2024-08-06", "openai"},
		{"bedrock/us-east-1/1-month-commitment/anthropic.claude-v2:1", "bedrock"},
		{"openrouter/openrouter/auto", "openrouter"},
		{"together-ai-up-to-4b", "together_ai"},
		{"vercel_ai_gateway/mistral/mistral-embed", "vercel_ai_gateway"},
		{"anthropic.claude-3-7-sonnet-20240620-v1:0", "bedrock"},
	} {
		if n, ok := parseKey(tc.key, specs[tc.provider]); ok {
			t.Errorf("%s: accepted as %s", tc.key, n.id())
		}
	}
}

func TestPreferredDuplicate(t *testing.T) {
	f := generatedFile(t)
	for _, tc := range []struct{ model, provider, upstream string }{
		// Plain id beats cross-region profiles and region paths.
		{"anthropic/claude-sonnet-4.5", "amazon-bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0"},
		// Only a US profile exists.
		{"amazon/nova-premier-v1", "amazon-bedrock", "us.amazon.nova-premier-v1:0"},
		// Dated snapshot beats the undated alias.
		{"openai/gpt-4o-mini", "openai", "gpt-4o-mini-2024-07-18"},
		// Undeployed zone beats eu/us/global.
		{"openai/gpt-5.1", "azure", "gpt-5.1-2025-11-13"},
		// The plain model beats the Turbo variant.
		{"meta-llama/llama-3.1-70b-instruct", "deepinfra", "meta-llama/Meta-Llama-3.1-70B-Instruct"},
		// Fireworks' full path beats the short alias.
		{"z-ai/glm-4.7", "fireworks", "accounts/fireworks/models/glm-4p7"},
	} {
		m := findModel(f, tc.model)
		if m == nil {
			t.Errorf("%s missing", tc.model)
			continue
		}
		i := slices.IndexFunc(m.Endpoints, func(e Endpoint) bool { return e.Provider == tc.provider })
		if i < 0 {
			t.Errorf("%s: no %s endpoint", tc.model, tc.provider)
			continue
		}
		if got := m.Endpoints[i].UpstreamModel; got != tc.upstream {
			t.Errorf("%s at %s: upstream %q, want %q", tc.model, tc.provider, got, tc.upstream)
		}
	}
}

func TestPricesParseAndAreNonNegative(t *testing.T) {
	var raw struct {
		Models []struct {
			ID        string `json:"id"`
			Endpoints []struct {
				Provider string                     `json:"provider"`
				Pricing  map[string]json.RawMessage `json:"pricing"`
			} `json:"endpoints"`
		} `json:"models"`
	}
	if err := json.Unmarshal(bundled, &raw); err != nil {
		t.Fatal(err)
	}
	n, overrides := 0, 0
	for _, m := range raw.Models {
		for _, e := range m.Endpoints {
			for _, field := range []string{"prompt", "completion"} {
				if _, ok := e.Pricing[field]; !ok {
					t.Errorf("%s at %s: no %s price", m.ID, e.Provider, field)
				}
			}
			for field, v := range e.Pricing {
				if field == "overrides" {
					var os []PriceOverride
					if err := json.Unmarshal(v, &os); err != nil {
						t.Errorf("%s at %s: pricing.overrides: %v", m.ID, e.Provider, err)
					}
					if err := (Pricing{Overrides: os}).Validate(); err != nil {
						t.Errorf("%s at %s: %v", m.ID, e.Provider, err)
					}
					overrides += len(os)
					continue
				}
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					t.Errorf("%s at %s: pricing.%s %s is not a string", m.ID, e.Provider, field, v)
				}
				r, err := money.ParseRate(s)
				if err != nil {
					t.Errorf("%s at %s: pricing.%s %q: %v", m.ID, e.Provider, field, s, err)
				}
				if r < 0 {
					t.Errorf("%s at %s: pricing.%s %q is negative", m.ID, e.Provider, field, s)
				}
				n++
			}
		}
	}
	if n == 0 || overrides == 0 {
		t.Fatalf("checked %d prices and %d overrides; want some of each", n, overrides)
	}
}

func TestParsePrice(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want money.Rate
		ok   bool
	}{
		{"5.9e-07", 590_000_000, true},
		{"0.000003", 3_000_000_000, true},
		{"0", 0, true},
		{"0.0000029999900000000002", 2_999_990_000, true}, // float noise rounded at 1e-15
		{"0.00000000000000051", 1, true},                  // half rounds away from zero
		{"abc", 0, false},
	} {
		got, err := parsePrice(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parsePrice(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestCatalogStructure(t *testing.T) {
	f := generatedFile(t)
	providers := map[string]bool{}
	for i, p := range f.Providers {
		providers[p.Slug] = true
		if i > 0 && f.Providers[i-1].Slug >= p.Slug {
			t.Errorf("providers out of order at %q", p.Slug)
		}
		if !slices.Contains(protocols, p.Protocol) {
			t.Errorf("provider %q: protocol %q", p.Slug, p.Protocol)
		}
	}
	slugs := map[string]string{}
	for i, m := range f.Models {
		if i > 0 && f.Models[i-1].ID >= m.ID {
			t.Errorf("models out of order at %q", m.ID)
		}
		if prev, dup := slugs[strings.ToLower(m.CanonicalSlug)]; dup {
			t.Errorf("canonical slug %q of %s is also %s", m.CanonicalSlug, m.ID, prev)
		}
		slugs[strings.ToLower(m.CanonicalSlug)] = m.ID
		if m.Created <= 0 || m.Name == "" || m.Description == "" || m.Tokenizer == "" {
			t.Errorf("%s: incomplete metadata", m.ID)
		}
		if len(m.InputModalities) == 0 || m.InputModalities[0] != "text" {
			t.Errorf("%s: input modalities %v", m.ID, m.InputModalities)
		}
		for j, e := range m.Endpoints {
			if !providers[e.Provider] {
				t.Errorf("%s: endpoint of unknown provider %q", m.ID, e.Provider)
			}
			if j > 0 && m.Endpoints[j-1].Provider >= e.Provider {
				t.Errorf("%s: endpoints out of order or duplicated at %q", m.ID, e.Provider)
			}
			if e.UpstreamModel == "" {
				t.Errorf("%s at %s: empty upstream model", m.ID, e.Provider)
			}
			if !slices.IsSorted(e.SupportedParameters) || !slices.Contains(e.SupportedParameters, "max_tokens") {
				t.Errorf("%s at %s: supported parameters %v", m.ID, e.Provider, e.SupportedParameters)
			}
			if e.ContextLength > m.ContextLength {
				t.Errorf("%s: endpoint context %d above model context %d", m.ID, e.ContextLength, m.ContextLength)
			}
		}
	}
	for _, m := range f.Models {
		if owner, ok := slugs[m.ID]; ok && owner != m.ID {
			t.Errorf("model id %s is the canonical slug of %s", m.ID, owner)
		}
	}
}

func TestNewBundled(t *testing.T) {
	f, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(f)
	if err != nil {
		t.Fatalf("New(Bundled()): %v", err)
	}
	if len(c.Models()) != len(f.Models) || len(c.Providers()) != len(f.Providers) {
		t.Errorf("indexed %d models, %d providers; file has %d, %d",
			len(c.Models()), len(c.Providers()), len(f.Models), len(f.Providers))
	}
	if p := c.Provider("anthropic"); p == nil || p.Protocol != ProtocolAnthropic {
		t.Errorf("Provider(anthropic) = %+v", p)
	}
}

func TestModelLookup(t *testing.T) {
	f, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ query, want string }{
		{"anthropic/claude-3.7-sonnet", "anthropic/claude-3.7-sonnet"},
		{"anthropic/claude-3-7-sonnet-20250219", "anthropic/claude-3.7-sonnet"},
		{"Anthropic/Claude-3-7-Sonnet-20250219", "anthropic/claude-3.7-sonnet"},
		{"openai/gpt-4o-mini-2024-07-18", "openai/gpt-4o-mini"},
		{"openai/gpt-4o-2024-08-06", "openai/gpt-4o-2024-08-06"},
		{"META-LLAMA/llama-3.3-70b-instruct", "meta-llama/llama-3.3-70b-instruct"},
		{"nobody/nothing", ""},
	} {
		got := ""
		if m := c.Model(tc.query); m != nil {
			got = m.ID
		}
		if got != tc.want {
			t.Errorf("Model(%q) = %q, want %q", tc.query, got, tc.want)
		}
	}
}

func TestModelNames(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"anthropic/claude-3.7-sonnet", "Anthropic: Claude 3.7 Sonnet"},
		{"meta-llama/llama-3.3-70b-instruct", "Meta: Llama 3.3 70B Instruct"},
		{"openai/gpt-4o-mini", "OpenAI: GPT-4o Mini"},
		{"openai/o3-mini", "OpenAI: o3 Mini"},
		{"qwen/qwen3-235b-a22b", "Qwen: Qwen3 235B A22B"},
		{"moonshotai/kimi-k2.5", "MoonshotAI: Kimi K2.5"},
		{"mistralai/mixtral-8x7b-instruct", "Mistral: Mixtral 8x7B Instruct"},
		{"openai/gpt-oss-120b", "OpenAI: GPT-OSS 120B"},
	} {
		if got := modelName(tc.id); got != tc.want {
			t.Errorf("modelName(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}

func TestCreated(t *testing.T) {
	for _, tc := range []struct {
		date, id string
		want     int64
	}{
		{"20250219", "anthropic/claude-3.7-sonnet", 1739923200},
		{"2024-07-18", "openai/gpt-4o-mini", 1721260800},
		{"", "mistralai/mistral-large-2411", 1730419200},       // YYMM
		{"", "cohere/command-r-08-2024", 1722470400},           // MM-YYYY
		{"", "deepseek/deepseek-v3-0324", sourceDate().Unix()}, // no year: source date
	} {
		if got := created(tc.date, tc.id); got != tc.want {
			t.Errorf("created(%q, %q) = %d, want %d", tc.date, tc.id, got, tc.want)
		}
	}
}
