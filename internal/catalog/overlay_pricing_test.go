package catalog

import (
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// pricingOverlay applies po to the openai endpoint of baseFile, whose
// pricing starts with the given overrides.
func pricingOverlay(t *testing.T, existing []PriceOverride, po *PricingOverlay) (Pricing, error) {
	t.Helper()
	f := baseFile()
	f.Models[0].Endpoints[0].Pricing.Overrides = existing
	err := f.Apply(Overlay{Providers: []ProviderOverlay{{
		Slug:      "openai",
		Endpoints: []EndpointOverlay{{Model: "openai/gpt-4o-mini", Pricing: po}},
	}}})
	return f.Models[0].Endpoints[0].Pricing, err
}

func TestApplyPriceOverrides(t *testing.T) {
	existing := []PriceOverride{{MinPromptTokens: 1000, Prompt: 7}}
	offPeak := PriceOverrideOverlay{UTCStart: "16:30", UTCEnd: "00:30", Prompt: "0.000000075", Completion: "3e-7"}
	for _, tc := range []struct {
		name    string
		po      *PricingOverlay
		want    []PriceOverride
		wantErr string
	}{
		{"no pricing keeps overrides", nil, existing, ""},
		{"pricing without overrides keeps them", &PricingOverlay{Prompt: ptr("0.0000002")}, existing, ""},
		{"given overrides replace the list", &PricingOverlay{Overrides: []PriceOverrideOverlay{
			offPeak,
			{MinPromptTokens: 128_001, Prompt: "0.0000003", InputCacheRead: "0.00000015", InputCacheWrite: "0.0000004", InternalReasoning: "0.000001"},
		}}, []PriceOverride{
			{UTCStart: "16:30", UTCEnd: "00:30", Prompt: money.MustRate("0.000000075"), Completion: money.MustRate("0.0000003")},
			{MinPromptTokens: 128_001, Prompt: money.MustRate("0.0000003"), InputCacheRead: money.MustRate("0.00000015"),
				InputCacheWrite: money.MustRate("0.0000004"), InternalReasoning: money.MustRate("0.000001")},
		}, ""},
		{"an empty list clears them", &PricingOverlay{Overrides: []PriceOverrideOverlay{}}, []PriceOverride{}, ""},
		{"bad rate", &PricingOverlay{Overrides: []PriceOverrideOverlay{offPeak, {Completion: "half"}}}, nil,
			`model "openai/gpt-4o-mini": pricing.overrides[1]: completion:`},
		{"negative rate", &PricingOverlay{Overrides: []PriceOverrideOverlay{{Prompt: "-0.000001"}}}, nil,
			"pricing.overrides[0]: prompt: negative price"},
		{"bad window", &PricingOverlay{Overrides: []PriceOverrideOverlay{{UTCStart: "4pm", UTCEnd: "00:30", Prompt: "0.000001"}}}, nil,
			`pricing.overrides[0]: utc_start "4pm" is not a UTC time HH:MM`},
		{"no price", &PricingOverlay{Overrides: []PriceOverrideOverlay{{UTCStart: "01:00", UTCEnd: "02:00"}}}, nil,
			"pricing.overrides[0]: replaces no price"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pricingOverlay(t, existing, tc.po)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Apply = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !reflect.DeepEqual(got.Overrides, tc.want) {
				t.Errorf("overrides = %+v, want %+v", got.Overrides, tc.want)
			}
		})
	}
}

func TestApplyDoesNotShareOverrides(t *testing.T) {
	f := baseFile()
	orig := []PriceOverride{{MinPromptTokens: 1000, Prompt: 7}}
	f.Models[0].Endpoints[0].Pricing.Overrides = orig
	if err := f.Apply(Overlay{Models: []ModelOverlay{{ID: "openai/gpt-4o-mini", Name: "x"}}}); err != nil {
		t.Fatal(err)
	}
	f.Models[0].Endpoints[0].Pricing.Overrides[0].Prompt = 8
	if orig[0].Prompt != 7 {
		t.Error("the amended file shares its overrides with the original")
	}
}

func TestPricingOverlayYAML(t *testing.T) {
	const doc = `
providers:
  - slug: deepseek
    protocol: openai
    endpoints:
      - model: deepseek/deepseek-chat
        pricing:
          prompt: "0.00000027"
          completion: "0.0000011"
          overrides:
            - utc_start: "16:30"
              utc_end: "00:30"
              prompt: "0.000000135"
              completion: "0.00000055"
            - min_prompt_tokens: 128001
              input_cache_read: "0.00000007"
`
	var o Overlay
	if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
		t.Fatal(err)
	}
	f := baseFile()
	if err := f.Apply(o); err != nil {
		t.Fatal(err)
	}
	c, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Model("deepseek/deepseek-chat").Endpoints[0].Pricing
	want := []PriceOverride{
		{UTCStart: "16:30", UTCEnd: "00:30", Prompt: money.MustRate("0.000000135"), Completion: money.MustRate("0.00000055")},
		{MinPromptTokens: 128_001, InputCacheRead: money.MustRate("0.00000007")},
	}
	if !reflect.DeepEqual(p.Overrides, want) {
		t.Errorf("overrides = %+v, want %+v", p.Overrides, want)
	}
	if got := p.At(utc(23, 0, 0), 10).Prompt; got != money.MustRate("0.000000135") {
		t.Errorf("off-peak prompt = %s", got)
	}
}
