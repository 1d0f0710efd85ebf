package catalog

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
)

func ptr(s string) *string { return &s }

// baseFile is a small catalog for overlay tests.
func baseFile() *File {
	return &File{
		Source: "test",
		Providers: []Provider{
			{Slug: "openai", Name: "OpenAI", Protocol: ProtocolOpenAI, BaseURL: "https://api.openai.com/v1", APIKeyEnv: []string{"OPENAI_API_KEY"}},
			{Slug: "together", Name: "Together", Protocol: ProtocolOpenAI, BaseURL: "https://api.together.xyz/v1", APIKeyEnv: []string{"TOGETHER_API_KEY"}},
		},
		Models: []Model{{
			ID: "openai/gpt-4o-mini", CanonicalSlug: "openai/gpt-4o-mini-2024-07-18", Name: "OpenAI: GPT-4o Mini",
			ContextLength: 128000, InputModalities: []string{"text", "image"}, OutputModalities: []string{"text"}, Tokenizer: "GPT",
			Endpoints: []Endpoint{{
				Provider: "openai", UpstreamModel: "gpt-4o-mini-2024-07-18", ContextLength: 128000, MaxCompletionTokens: 16384,
				Pricing:             Pricing{Prompt: money.MustRate("0.00000015"), Completion: money.MustRate("0.0000006"), InputCacheRead: money.MustRate("0.000000075")},
				SupportedParameters: []string{"max_tokens", "temperature", "tools"},
			}},
		}},
	}
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name    string
		overlay Overlay
		wantErr string // substring; empty for success
		check   func(t *testing.T, f *File)
	}{
		{
			name: "new provider and new model",
			overlay: Overlay{Providers: []ProviderOverlay{{
				Slug: "local-vllm", Protocol: ProtocolOpenAI, BaseURL: "http://gpu-1:8000/v1", APIKeyEnv: "VLLM_KEY",
				Endpoints: []EndpointOverlay{{
					Model: "acme/coder-7b", UpstreamModel: "acme/Coder-7B", ContextLength: 32768,
					Pricing: &PricingOverlay{Prompt: ptr("0.0000001"), Completion: ptr("2e-7")},
				}},
			}}},
			check: func(t *testing.T, f *File) {
				p := f.Providers[slices.IndexFunc(f.Providers, func(p Provider) bool { return p.Slug == "local-vllm" })]
				if p.Name != "local-vllm" || p.BaseURL != "http://gpu-1:8000/v1" || !slices.Equal(p.APIKeyEnv, []string{"VLLM_KEY"}) {
					t.Errorf("provider = %+v", p)
				}
				m := findModel(f, "acme/coder-7b")
				if m == nil {
					t.Fatal("model not created")
				}
				if m.Name != "acme/coder-7b" || m.ContextLength != 32768 || !slices.Equal(m.InputModalities, []string{"text"}) {
					t.Errorf("model = %+v", m)
				}
				e := m.Endpoints[0]
				if e.UpstreamModel != "acme/Coder-7B" || e.Pricing.Prompt != 100_000_000 || e.Pricing.Completion != 200_000_000 {
					t.Errorf("endpoint = %+v", e)
				}
				if !slices.Contains(e.SupportedParameters, "temperature") {
					t.Errorf("new endpoint got no default parameters: %v", e.SupportedParameters)
				}
			},
		},
		{
			name: "override one price of an existing endpoint",
			overlay: Overlay{Providers: []ProviderOverlay{{
				Slug:      "openai",
				Endpoints: []EndpointOverlay{{Model: "openai/gpt-4o-mini", Pricing: &PricingOverlay{Prompt: ptr("0.0000002")}}},
			}}},
			check: func(t *testing.T, f *File) {
				e := findModel(f, "openai/gpt-4o-mini").Endpoints[0]
				if e.Pricing.Prompt != money.MustRate("0.0000002") {
					t.Errorf("prompt = %s", e.Pricing.Prompt)
				}
				if e.Pricing.Completion != money.MustRate("0.0000006") || e.Pricing.InputCacheRead != money.MustRate("0.000000075") {
					t.Errorf("other prices changed: %+v", e.Pricing)
				}
				if e.UpstreamModel != "gpt-4o-mini-2024-07-18" || e.MaxCompletionTokens != 16384 {
					t.Errorf("other fields changed: %+v", e)
				}
				if p := f.Providers[0]; p.Name != "OpenAI" || p.BaseURL != "https://api.openai.com/v1" {
					t.Errorf("provider changed: %+v", p)
				}
			},
		},
		{
			name: "endpoint by canonical slug at another provider",
			overlay: Overlay{Providers: []ProviderOverlay{{
				Slug:      "together",
				Endpoints: []EndpointOverlay{{Model: "openai/gpt-4o-mini-2024-07-18", ContextLength: 200000, Quantization: "fp8"}},
			}}},
			check: func(t *testing.T, f *File) {
				m := findModel(f, "openai/gpt-4o-mini")
				if len(m.Endpoints) != 2 || m.Endpoints[1].Provider != "together" {
					t.Fatalf("endpoints = %+v", m.Endpoints)
				}
				if e := m.Endpoints[1]; e.UpstreamModel != "openai/gpt-4o-mini" || e.Quantization != "fp8" {
					t.Errorf("endpoint = %+v", e)
				}
				if m.ContextLength != 200000 {
					t.Errorf("model context = %d, want the endpoint maximum", m.ContextLength)
				}
			},
		},
		{
			name: "provider settings and model fields",
			overlay: Overlay{
				Providers: []ProviderOverlay{{Slug: "together", Name: "Together AI", BaseURL: "https://proxy.internal/together", APIKeyEnv: "MY_TOGETHER_KEY"}},
				Models:    []ModelOverlay{{ID: "openai/gpt-4o-mini", Name: "GPT-4o mini (house)", InputModalities: []string{"text"}}, {ID: "acme/empty"}},
			},
			check: func(t *testing.T, f *File) {
				p := f.Providers[1]
				if p.Name != "Together AI" || p.BaseURL != "https://proxy.internal/together" || !slices.Equal(p.APIKeyEnv, []string{"MY_TOGETHER_KEY"}) || p.Protocol != ProtocolOpenAI {
					t.Errorf("provider = %+v", p)
				}
				m := findModel(f, "openai/gpt-4o-mini")
				if m.Name != "GPT-4o mini (house)" || !slices.Equal(m.InputModalities, []string{"text"}) || m.ContextLength != 128000 {
					t.Errorf("model = %+v", m)
				}
				if findModel(f, "acme/empty") == nil || f.Models[0].ID != "acme/empty" {
					t.Error("new model missing or out of order")
				}
			},
		},
		{
			name: "bad price string",
			overlay: Overlay{Providers: []ProviderOverlay{{
				Slug:      "openai",
				Endpoints: []EndpointOverlay{{Model: "openai/gpt-4o-mini", Pricing: &PricingOverlay{Completion: ptr("six cents")}}},
			}}},
			wantErr: `provider "openai": model "openai/gpt-4o-mini": pricing.completion`,
		},
		{
			name: "negative price",
			overlay: Overlay{Providers: []ProviderOverlay{{
				Slug:      "openai",
				Endpoints: []EndpointOverlay{{Model: "openai/gpt-4o-mini", Pricing: &PricingOverlay{Prompt: ptr("-0.1")}}},
			}}},
			wantErr: "pricing.prompt: negative",
		},
		{
			name:    "unknown protocol",
			overlay: Overlay{Providers: []ProviderOverlay{{Slug: "x", Protocol: "grpc"}}},
			wantErr: `unknown protocol "grpc"`,
		},
		{
			name:    "new provider without protocol",
			overlay: Overlay{Providers: []ProviderOverlay{{Slug: "x", BaseURL: "http://x"}}},
			wantErr: `new provider "x" needs a protocol`,
		},
		{
			name:    "provider without slug",
			overlay: Overlay{Providers: []ProviderOverlay{{Protocol: ProtocolOpenAI}}},
			wantErr: "provider without slug",
		},
		{
			name:    "model id not author/slug",
			overlay: Overlay{Providers: []ProviderOverlay{{Slug: "openai", Endpoints: []EndpointOverlay{{Model: "gpt-5"}}}}},
			wantErr: `model id "gpt-5" is not author/slug`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := baseFile()
			err := f.Apply(tc.overlay)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Apply error = %v, want one containing %q", err, tc.wantErr)
				}
				if !filesEqual(f, baseFile()) {
					t.Error("failed Apply modified the file")
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			tc.check(t, f)
			if _, err := New(f); err != nil {
				t.Errorf("New after Apply: %v", err)
			}
		})
	}
}

func TestApplyDoesNotAliasInput(t *testing.T) {
	f := baseFile()
	params := []string{"tools", "max_tokens"}
	o := Overlay{Providers: []ProviderOverlay{{Slug: "openai", Endpoints: []EndpointOverlay{{Model: "openai/gpt-4o-mini", SupportedParameters: params}}}}}
	if err := f.Apply(o); err != nil {
		t.Fatal(err)
	}
	got := findModel(f, "openai/gpt-4o-mini").Endpoints[0].SupportedParameters
	if !slices.Equal(got, []string{"max_tokens", "tools"}) {
		t.Errorf("parameters = %v, want sorted", got)
	}
	if params[0] != "tools" {
		t.Error("Apply reordered the caller's slice")
	}
}

func TestApplyToBundled(t *testing.T) {
	f, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	o := Overlay{Providers: []ProviderOverlay{{
		Slug: "anthropic", BaseURL: "https://anthropic.proxy.internal/v1",
		Endpoints: []EndpointOverlay{{Model: "anthropic/claude-3-7-sonnet-20250219", Pricing: &PricingOverlay{Prompt: ptr("0.0000025")}}},
	}}}
	if err := f.Apply(o); err != nil {
		t.Fatal(err)
	}
	c, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	m := c.Model("anthropic/claude-3.7-sonnet")
	i := slices.IndexFunc(m.Endpoints, func(e Endpoint) bool { return e.Provider == "anthropic" })
	if m.Endpoints[i].Pricing.Prompt != money.MustRate("0.0000025") {
		t.Errorf("prompt = %s", m.Endpoints[i].Pricing.Prompt)
	}
	if c.Provider("anthropic").BaseURL != "https://anthropic.proxy.internal/v1" {
		t.Error("base URL not applied")
	}
}

// filesEqual compares two catalog files field by field.
func filesEqual(a, b *File) bool {
	if a.Source != b.Source || !slices.EqualFunc(a.Providers, b.Providers, func(x, y Provider) bool {
		return x.Slug == y.Slug && x.Name == y.Name && x.Protocol == y.Protocol && x.BaseURL == y.BaseURL && slices.Equal(x.APIKeyEnv, y.APIKeyEnv)
	}) {
		return false
	}
	return slices.EqualFunc(a.Models, b.Models, func(x, y Model) bool {
		return x.ID == y.ID && x.Name == y.Name && x.ContextLength == y.ContextLength &&
			slices.Equal(x.InputModalities, y.InputModalities) &&
			slices.EqualFunc(x.Endpoints, y.Endpoints, func(e, g Endpoint) bool {
				return e.Provider == g.Provider && e.UpstreamModel == g.UpstreamModel && reflect.DeepEqual(e.Pricing, g.Pricing) &&
					e.ContextLength == g.ContextLength && slices.Equal(e.SupportedParameters, g.SupportedParameters)
			})
	})
}
