package router

import (
	"slices"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// filterRouter serves model f/m from five routable endpoints that differ
// in one property each.
func filterRouter(t *testing.T) *Router {
	t.Helper()
	withParams := func(e catalog.Endpoint, params ...string) catalog.Endpoint {
		e.SupportedParameters = append(slices.Clone(e.SupportedParameters), params...)
		return e
	}
	turbo := ep("deep", "0.000004")
	turbo.Tag, turbo.Quantization = "deep/turbo", "fp8"
	small := ep("tiny", "0.0000005")
	small.ContextLength, small.MaxCompletionTokens = 4096, 1024
	priced := ep("pricey", "0.000003")
	priced.Pricing.Request = money.MustRate("0.01")
	f := &catalog.File{
		Providers: []catalog.Provider{
			{Slug: "cheap", Name: "Cheap Inc", Protocol: "openai", DataPolicy: catalog.DataPolicy{Training: true}},
			{Slug: "deep", Name: "Deep", Protocol: "openai", DataPolicy: catalog.DataPolicy{ZDR: true}},
			{Slug: "pricey", Name: "Pricey", Protocol: "openai", DataPolicy: catalog.DataPolicy{RetainsPrompts: true, ZDR: true}},
			{Slug: "tiny", Name: "Tiny", Protocol: "openai"},
		},
		Models: []catalog.Model{{ID: "f/m", ContextLength: 131072, InputModalities: []string{"text"}, Endpoints: []catalog.Endpoint{
			withParams(ep("cheap", "0.000001"), "tools", "tool_choice"),
			withParams(ep("deep", "0.000002"), "tools", "tool_choice", "response_format", "structured_outputs", "top_k"),
			withParams(turbo, "reasoning", "include_reasoning"),
			priced,
			small,
		}}},
	}
	return newTestRouter(t, f, []string{"cheap", "deep", "pricey", "tiny"}, Options{})
}

func TestFilters(t *testing.T) {
	r := filterRouter(t)
	all := "tiny cheap deep deep/turbo pricey"
	tests := []struct {
		name     string
		req      openai.ChatRequest
		want     string // endpoint tags in order
		excluded string // "tag:excluded_by" in catalog order
	}{
		{"none", openai.ChatRequest{}, all, ""},
		{"only base slug matches every endpoint", openai.ChatRequest{Provider: &openai.ProviderPrefs{Only: []string{"deep"}}},
			"deep deep/turbo", "cheap:only pricey:only tiny:only"},
		{"only full tag matches one", openai.ChatRequest{Provider: &openai.ProviderPrefs{Only: []string{"DEEP/turbo"}}},
			"deep/turbo", "cheap:only deep:only pricey:only tiny:only"},
		{"only display name", openai.ChatRequest{Provider: &openai.ProviderPrefs{Only: []string{"cheap inc"}}},
			"cheap", "deep:only deep:only pricey:only tiny:only"},
		{"ignore", openai.ChatRequest{Provider: &openai.ProviderPrefs{Ignore: []string{"deep/turbo", "tiny"}}},
			"cheap deep pricey", "deep:ignore tiny:ignore"},
		{"quantizations", openai.ChatRequest{Provider: &openai.ProviderPrefs{Quantizations: []string{"FP8"}}},
			"deep/turbo", "cheap:quantizations deep:quantizations pricey:quantizations tiny:quantizations"},
		{"quantizations unknown", openai.ChatRequest{Provider: &openai.ProviderPrefs{Quantizations: []string{"unknown"}}},
			"tiny cheap deep pricey", "deep:quantizations"},
		{"max_price prompt, number, inclusive", openai.ChatRequest{Provider: &openai.ProviderPrefs{MaxPrice: raw(`{"prompt": 2}`)}},
			"tiny cheap deep", "deep:max_price pricey:max_price"},
		{"max_price string, exact below", openai.ChatRequest{Provider: &openai.ProviderPrefs{MaxPrice: raw(`{"completion": "1.999999999"}`)}},
			"tiny cheap", "deep:max_price deep:max_price pricey:max_price"},
		{"max_price exponent", openai.ChatRequest{Provider: &openai.ProviderPrefs{MaxPrice: raw(`{"prompt": 5e-1}`)}},
			"tiny", "cheap:max_price deep:max_price deep:max_price pricey:max_price"},
		{"max_price request fee", openai.ChatRequest{Provider: &openai.ProviderPrefs{MaxPrice: raw(`{"request": "0.001"}`)}},
			"tiny cheap deep deep/turbo", "pricey:max_price"},
		{"data_collection deny", openai.ChatRequest{Provider: &openai.ProviderPrefs{DataCollection: "deny"}},
			"tiny deep deep/turbo", "cheap:data_collection pricey:data_collection"},
		{"zdr", openai.ChatRequest{Provider: &openai.ProviderPrefs{ZDR: true}},
			"deep deep/turbo pricey", "cheap:zdr tiny:zdr"},
		{"require_parameters", openai.ChatRequest{TopK: ptr(3), Provider: &openai.ProviderPrefs{RequireParameters: true}},
			"deep", "cheap:require_parameters deep:require_parameters pricey:require_parameters tiny:require_parameters"},
		{"require_parameters: max_completion_tokens is max_tokens", openai.ChatRequest{MaxCompletionTokens: ptr(100),
			Temperature: ptr(0.5), Provider: &openai.ProviderPrefs{RequireParameters: true}}, all, ""},
		{"require_parameters: structured outputs", openai.ChatRequest{ResponseFormat: raw(`{"type":"json_schema","json_schema":{}}`),
			Provider: &openai.ProviderPrefs{RequireParameters: true}},
			"deep", "cheap:require_parameters deep:require_parameters pricey:require_parameters tiny:require_parameters"},
		{"context length", openai.ChatRequest{Messages: user(strings.Repeat("x", 4*4000)), MaxTokens: ptr(200)},
			"cheap deep deep/turbo pricey", "tiny:context_length"},
		{"max_tokens", openai.ChatRequest{MaxTokens: ptr(2000)}, "cheap deep deep/turbo pricey", "tiny:max_tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Model = "f/m"
			if tt.req.Provider == nil {
				tt.req.Provider = &openai.ProviderPrefs{}
			}
			tt.req.Provider.Sort = raw(`"price"`)
			p, err := r.Plan(&tt.req, PlanOptions{Explain: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := tags(p); got != tt.want {
				t.Errorf("order %s, want %s", got, tt.want)
			}
			var excl []string
			for _, x := range p.Explain.Excluded {
				if x.Model != "f/m" || x.Reason == "" {
					t.Errorf("exclusion %+v", x)
				}
				excl = append(excl, x.Provider+":"+x.ExcludedBy)
			}
			if got := strings.Join(excl, " "); got != tt.excluded {
				t.Errorf("excluded %s, want %s", got, tt.excluded)
			}
		})
	}
}

// tags renders a plan as its endpoint tags.
func tags(p *Plan) string {
	var out []string
	for _, c := range p.Candidates {
		out = append(out, c.Endpoint.Tag)
	}
	return strings.Join(out, " ")
}

// The soft preference: endpoints lacking a capability the request uses go
// to the back, unless none has it.
func TestSoftPreference(t *testing.T) {
	r := filterRouter(t)
	tools := []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "f"}}}
	image := []openai.Message{{Role: "user", Content: openai.PartsContent(
		openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "https://x/y.png"}})}}
	tests := []struct {
		name   string
		req    openai.ChatRequest
		want   string
		reason string // of the last candidate
	}{
		{"tools", openai.ChatRequest{Tools: tools}, "cheap deep tiny deep/turbo pricey", "does not support tools"},
		{"response_format", openai.ChatRequest{ResponseFormat: raw(`{"type":"json_object"}`)},
			"deep tiny cheap deep/turbo pricey", "does not support response_format"},
		{"reasoning", openai.ChatRequest{ReasoningEffort: "high"}, "deep/turbo tiny cheap deep pricey", "does not support reasoning"},
		{"nobody has it: order unchanged", openai.ChatRequest{WebSearchOptions: raw(`{}`), Messages: image},
			"tiny cheap deep deep/turbo pricey", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Model = "f/m"
			tt.req.Provider = &openai.ProviderPrefs{Sort: raw(`"price"`)}
			p, err := r.Plan(&tt.req, PlanOptions{Explain: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := tags(p); got != tt.want {
				t.Errorf("order %s, want %s", got, tt.want)
			}
			last := p.Explain.Candidates[len(p.Explain.Candidates)-1]
			if got := strings.Join(last.Reasons, "; "); !strings.Contains(got, tt.reason) || (tt.reason == "") != (got == "") {
				t.Errorf("reasons %q, want %q", got, tt.reason)
			}
		})
	}
}

func TestMaxPriceIsExact(t *testing.T) {
	tests := []struct {
		limit string
		rate  string // USD per token
		ok    bool
	}{
		{`"0.59"`, "0.00000059", true},
		{`0.59`, "0.00000059", true},
		{`"0.589999999"`, "0.00000059", false},
		{`"0.5900000001"`, "0.00000059", true},
		{`1e-9`, "0.000000000000001", true}, // $1e-9/M is 1 femto-dollar per token
		{`"0.0000000009"`, "0.000000000000001", false},
		{`1e30`, "1", true},
		{`0`, "0", true},
	}
	for _, tt := range tests {
		l, err := parseMaxPrice(raw(`{"prompt":` + tt.limit + `}`))
		if err != nil {
			t.Fatalf("%s: %v", tt.limit, err)
		}
		if got := l.admits(&catalog.Pricing{Prompt: money.MustRate(tt.rate)}); got != tt.ok {
			t.Errorf("limit %s, rate %s: admits %v, want %v", tt.limit, tt.rate, got, tt.ok)
		}
	}
}
