package billing

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// The tests in this file price generations at the bundled catalog's real
// prices and compare with figures computed by hand in the comments. Every
// test first asserts the prices it relies on, so a catalog update fails
// with a message naming the changed endpoint instead of a puzzling figure.
//
// Units: a Rate is femto-dollars (1e-15 USD) per token, an Amount
// nano-dollars (1e-9 USD). $1 per million tokens is 1e-6 USD per token =
// 1,000 nano per token, so $3/M is 3,000 nano per token and $0.30/M 300.

var price = money.MustRate // a price in USD per token, as the catalog writes it

// Endpoints and the prices the hand computations use, as in the catalog.
var (
	// anthropic/claude-sonnet-4 at anthropic: $3/M prompt, $15/M completion,
	// $0.30/M cache read, $3.75/M cache write; above 200,000 prompt
	// tokens $6, $22.50, $0.60, $7.50.
	sonnet4 = pricedEndpoint{"anthropic/claude-sonnet-4", "anthropic", catalog.Pricing{
		Prompt: price("0.000003"), Completion: price("0.000015"),
		InputCacheRead: price("0.0000003"), InputCacheWrite: price("0.00000375"),
		Overrides: []catalog.PriceOverride{{MinPromptTokens: 200001,
			Prompt: price("0.000006"), Completion: price("0.0000225"),
			InputCacheRead: price("0.0000006"), InputCacheWrite: price("0.0000075")}},
	}}
	// anthropic/claude-3.7-sonnet at openrouter: $3/M, $15/M, $0.0048 an image.
	sonnet37Images = pricedEndpoint{"anthropic/claude-3.7-sonnet", "openrouter", catalog.Pricing{
		Prompt: price("0.000003"), Completion: price("0.000015"), Image: price("0.0048"),
	}}
	// anthropic/claude-3.7-sonnet at databricks: $2.99999/M prompt and
	// $15.00002/M completion, i.e. 2,999.99 and 15,000.02 nano per token —
	// prices below a nano-dollar per token.
	sonnet37Databricks = pricedEndpoint{"anthropic/claude-3.7-sonnet", "databricks", catalog.Pricing{
		Prompt: price("0.00000299999"), Completion: price("0.00001500002"),
	}}
	// openai/gpt-5 at openai: $1.25/M, $10/M, $0.125/M cache read, no
	// separate reasoning price (reasoning is billed as completion).
	gpt5 = pricedEndpoint{"openai/gpt-5", "openai", catalog.Pricing{
		Prompt: price("0.00000125"), Completion: price("0.00001"), InputCacheRead: price("0.000000125"),
	}}
	// perplexity/sonar-deep-research at perplexity: $2/M, $8/M, and $3/M
	// for internal reasoning.
	sonarDeep = pricedEndpoint{"perplexity/sonar-deep-research", "perplexity", catalog.Pricing{
		Prompt: price("0.000002"), Completion: price("0.000008"), InternalReasoning: price("0.000003"),
	}}
	// perplexity/sonar-small-online at perplexity: free prompt, $0.28/M
	// completion, $0.005 a request.
	sonarSmall = pricedEndpoint{"perplexity/sonar-small-online", "perplexity", catalog.Pricing{
		Prompt: 0, Completion: price("0.00000028"), Request: price("0.005"),
	}}
	// qwen/qwen-plus-2025-07-28 at alibaba: $0.40/M, $1.20/M, $4/M
	// reasoning; from 256,001 prompt tokens $1.20, $3.60, $12.
	qwenPlus = pricedEndpoint{"qwen/qwen-plus-2025-07-28", "alibaba", catalog.Pricing{
		Prompt: price("0.0000004"), Completion: price("0.0000012"), InternalReasoning: price("0.000004"),
		Overrides: []catalog.PriceOverride{{MinPromptTokens: 256001,
			Prompt: price("0.0000012"), Completion: price("0.0000036"), InternalReasoning: price("0.000012")}},
	}}
	// qwen/qwen3-coder-plus at alibaba: $1/M, $5/M, then three tiers from
	// 32,001 ($1.80, $9), 128,001 ($3, $15) and 256,001 ($6, $60) tokens.
	qwenCoder = pricedEndpoint{"qwen/qwen3-coder-plus", "alibaba", catalog.Pricing{
		Prompt: price("0.000001"), Completion: price("0.000005"),
		Overrides: []catalog.PriceOverride{
			{MinPromptTokens: 32001, Prompt: price("0.0000018"), Completion: price("0.000009")},
			{MinPromptTokens: 128001, Prompt: price("0.000003"), Completion: price("0.000015")},
			{MinPromptTokens: 256001, Prompt: price("0.000006"), Completion: price("0.00006")},
		},
	}}
	// google/gemini-2.5-pro at google-ai-studio: $1.25/M, $10/M, $0.125/M
	// cache read, no cache-write price; from 200,001 prompt tokens $2.50,
	// $15, $0.25.
	gemini25Pro = pricedEndpoint{"google/gemini-2.5-pro", "google-ai-studio", catalog.Pricing{
		Prompt: price("0.00000125"), Completion: price("0.00001"), InputCacheRead: price("0.000000125"),
		Overrides: []catalog.PriceOverride{{MinPromptTokens: 200001,
			Prompt: price("0.0000025"), Completion: price("0.000015"), InputCacheRead: price("0.00000025")}},
	}}
)

type pricedEndpoint struct {
	model, tag string
	want       catalog.Pricing
}

func (e pricedEndpoint) String() string { return e.model + " at " + e.tag }

// bundledPricing returns e's prices in the bundled catalog, failing the
// test if they are not the ones the hand computations assume.
func bundledPricing(t *testing.T, c *catalog.Catalog, e pricedEndpoint) catalog.Pricing {
	t.Helper()
	m := c.Model(e.model)
	if m == nil {
		t.Fatalf("bundled catalog has no model %s; pick another endpoint for this test", e.model)
	}
	for _, ep := range m.Endpoints {
		if ep.Tag != e.tag {
			continue
		}
		if !reflect.DeepEqual(ep.Pricing, e.want) {
			t.Fatalf("bundled catalog prices of %s changed; the hand-computed figures assume\n\t%s\nbut the catalog has\n\t%s",
				e, describe(e.want), describe(ep.Pricing))
		}
		return ep.Pricing
	}
	t.Fatalf("bundled catalog has no endpoint %s; pick another endpoint for this test", e)
	return catalog.Pricing{}
}

func describe(p catalog.Pricing) string {
	s := fmt.Sprintf("prompt %s completion %s request %s image %s cache read %s cache write %s reasoning %s",
		p.Prompt, p.Completion, p.Request, p.Image, p.InputCacheRead, p.InputCacheWrite, p.InternalReasoning)
	for _, o := range p.Overrides {
		s += fmt.Sprintf("; override %+v", o)
	}
	return s
}

func bundledCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	f, err := catalog.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.New(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// generationStart is when the generations below began; no bundled price
// depends on the time of day.
var generationStart = time.Date(2026, 7, 24, 12, 0, 0, 0, time.UTC)

func TestCostExactOnBundledCatalog(t *testing.T) {
	c := bundledCatalog(t)
	tests := []struct {
		name string
		e    pricedEndpoint
		u    Usage
		// at prices with CostAt (overrides by prompt size); otherwise Cost,
		// which ignores overrides.
		at   bool
		want money.Amount
	}{
		{
			// 2,000 uncached × 3,000 = 6,000,000
			// 8,000 cached   ×   300 = 2,400,000
			// 2,000 written  × 3,750 = 7,500,000
			//   850 output   × 15,000 = 12,750,000
			// total 28,650,000 nano = $0.02865
			name: "claude cache read and write", e: sonnet4, at: true,
			u: Usage{PromptTokens: 12_000, CachedTokens: 8_000, CacheWriteTokens: 2_000,
				CompletionTokens: 850, FinishReason: openai.FinishStop},
			want: 28_650_000,
		},
		{
			// 250,000 prompt tokens > 200,000: long-context prices.
			//  40,000 uncached × 6,000 = 240,000,000
			// 200,000 cached   ×   600 = 120,000,000
			//  10,000 written  × 7,500 =  75,000,000
			//   2,000 output   × 22,500 = 45,000,000
			// total 480,000,000 nano = $0.48
			name: "claude long context", e: sonnet4, at: true,
			u: Usage{PromptTokens: 250_000, CachedTokens: 200_000, CacheWriteTokens: 10_000,
				CompletionTokens: 2_000, FinishReason: openai.FinishStop},
			want: 480_000_000,
		},
		{
			// The same generation priced by Cost, which ignores overrides:
			// 40,000 × 3,000 + 200,000 × 300 + 10,000 × 3,750 + 2,000 × 15,000
			// = 120,000,000 + 60,000,000 + 37,500,000 + 30,000,000 = 247,500,000
			name: "claude long context, base prices by Cost", e: sonnet4, at: false,
			u: Usage{PromptTokens: 250_000, CachedTokens: 200_000, CacheWriteTokens: 10_000,
				CompletionTokens: 2_000, FinishReason: openai.FinishStop},
			want: 247_500_000,
		},
		{
			// Exactly 200,000 prompt tokens is not above the threshold:
			// 200,000 × 3,000 + 1 × 15,000 = 600,015,000
			name: "claude at the threshold", e: sonnet4, at: true,
			u:    Usage{PromptTokens: 200_000, CompletionTokens: 1, FinishReason: openai.FinishStop},
			want: 600_015_000,
		},
		{
			// One token more: 200,001 × 6,000 + 1 × 22,500 = 1,200,028,500
			name: "claude one past the threshold", e: sonnet4, at: true,
			u:    Usage{PromptTokens: 200_001, CompletionTokens: 1, FinishReason: openai.FinishStop},
			want: 1_200_028_500,
		},
		{
			// Reasoning has no price of its own: all 5,000 output tokens at
			// $10/M.
			// 1,976 uncached × 1,250 =  2,470,000
			// 1,024 cached   ×   125 =    128,000
			// 5,000 output   × 10,000 = 50,000,000
			// total 52,598,000
			name: "gpt-5 reasoning billed as completion", e: gpt5, at: true,
			u: Usage{PromptTokens: 3_000, CachedTokens: 1_024, CompletionTokens: 5_000,
				ReasoningTokens: 4_200, FinishReason: openai.FinishStop},
			want: 52_598_000,
		},
		{
			//   800 prompt    × 2,000 =  1,600,000
			// 1,000 answer    × 8,000 =  8,000,000
			// 9,000 reasoning × 3,000 = 27,000,000
			// total 36,600,000
			name: "internal reasoning price", e: sonarDeep, at: true,
			u: Usage{PromptTokens: 800, CompletionTokens: 10_000, ReasoningTokens: 9_000,
				FinishReason: openai.FinishStop},
			want: 36_600_000,
		},
		{
			// 256,000 prompt tokens: base prices.
			// 256,000 × 400 = 102,400,000; 400 × 1,200 = 480,000;
			// 600 reasoning × 4,000 = 2,400,000; total 105,280,000
			name: "qwen reasoning below long context", e: qwenPlus, at: true,
			u: Usage{PromptTokens: 256_000, CompletionTokens: 1_000, ReasoningTokens: 600,
				FinishReason: openai.FinishStop},
			want: 105_280_000,
		},
		{
			// 300,000 prompt tokens: the override replaces the reasoning
			// price too. 300,000 × 1,200 = 360,000,000; 400 × 3,600 =
			// 1,440,000; 600 × 12,000 = 7,200,000; total 368,640,000
			name: "qwen reasoning in long context", e: qwenPlus, at: true,
			u: Usage{PromptTokens: 300_000, CompletionTokens: 1_000, ReasoningTokens: 600,
				FinishReason: openai.FinishStop},
			want: 368_640_000,
		},
		{
			// 150,000 prompt tokens reach the first two tiers; the later
			// wins: 150,000 × 3,000 + 2,000 × 15,000 = 450,000,000 +
			// 30,000,000 = 480,000,000
			name: "tiered prices, middle tier", e: qwenCoder, at: true,
			u:    Usage{PromptTokens: 150_000, CompletionTokens: 2_000, FinishReason: openai.FinishStop},
			want: 480_000_000,
		},
		{
			// 300,000 reach all three: 300,000 × 6,000 + 2,000 × 60,000 =
			// 1,800,000,000 + 120,000,000 = 1,920,000,000
			name: "tiered prices, top tier", e: qwenCoder, at: true,
			u:    Usage{PromptTokens: 300_000, CompletionTokens: 2_000, FinishReason: openai.FinishStop},
			want: 1_920_000_000,
		},
		{
			// 210,000 prompt tokens > 200,000: $2.50, $15, $0.25. No
			// cache-write price, so writes pay the (long-context) prompt price.
			//  59,000 uncached × 2,500 = 147,500,000
			// 150,000 cached   ×   250 =  37,500,000
			//   1,000 written  × 2,500 =   2,500,000
			//   3,000 output   × 15,000 = 45,000,000
			// total 232,500,000
			name: "gemini 2.5 pro long context", e: gemini25Pro, at: true,
			u: Usage{PromptTokens: 210_000, CachedTokens: 150_000, CacheWriteTokens: 1_000,
				CompletionTokens: 3_000, ReasoningTokens: 2_500, FinishReason: openai.FinishStop},
			want: 232_500_000,
		},
		{
			// 1,200 prompt × 0 + 400 × 280 = 112,000, + $0.005 request
			// = 5,000,000: total 5,112,000
			name: "request fee", e: sonarSmall, at: true,
			u:    Usage{PromptTokens: 1_200, CompletionTokens: 400, FinishReason: openai.FinishStop},
			want: 5_112_000,
		},
		{
			// 2,000 × 3,000 = 6,000,000; 300 × 15,000 = 4,500,000;
			// 2 images × 4,800,000 = 9,600,000; total 20,100,000
			name: "image fee", e: sonnet37Images, at: true,
			u: Usage{PromptTokens: 2_000, CompletionTokens: 300, Images: 2,
				FinishReason: openai.FinishStop},
			want: 20_100_000,
		},
		{
			// 50 × 2,999.99 = 149,999.5 and 25 × 15,000.02 = 375,000.5;
			// summed exactly 525,000.0. Rounding each term would give
			// 150,000 + 375,001 = 525,001.
			name: "sub-nano prices round once", e: sonnet37Databricks, at: true,
			u:    Usage{PromptTokens: 50, CompletionTokens: 25, FinishReason: openai.FinishStop},
			want: 525_000,
		},
		{
			// 50 × 2,999.99 = 149,999.5, half rounds up: 150,000
			name: "sub-nano half rounds up", e: sonnet37Databricks, at: true,
			u:    Usage{PromptTokens: 50, CompletionTokens: 0, FinishReason: openai.FinishStop},
			want: 150_000,
		},
		{
			// 1 × 2,999.99 + 1 × 15,000.02 = 18,000.01, rounds down: 18,000
			name: "sub-nano below half rounds down", e: sonnet37Databricks, at: true,
			u:    Usage{PromptTokens: 1, CompletionTokens: 1, FinishReason: openai.FinishStop},
			want: 18_000,
		},

		// Zero-completion insurance: no completion tokens and no finish
		// reason or an error finish → nothing charged, request fee included.
		{
			name: "insured: no completion, no finish reason", e: sonnet4, at: true,
			u:    Usage{PromptTokens: 12_000, CachedTokens: 8_000},
			want: 0,
		},
		{
			name: "insured: no completion, error", e: sonnet4, at: true,
			u:    Usage{PromptTokens: 250_000, FinishReason: openai.FinishError},
			want: 0,
		},
		{
			name: "insured: request fee waived", e: sonarSmall, at: true,
			u:    Usage{PromptTokens: 1_200, FinishReason: openai.FinishError},
			want: 0,
		},
		{
			// A clean stop with nothing to say is charged: 12,000 × 3,000
			name: "not insured: no completion but stop", e: sonnet4, at: true,
			u:    Usage{PromptTokens: 12_000, FinishReason: openai.FinishStop},
			want: 36_000_000,
		},
		{
			// 1,200 × 0 + $0.005 request = 5,000,000
			name: "not insured: no completion but length", e: sonarSmall, at: true,
			u:    Usage{PromptTokens: 1_200, FinishReason: openai.FinishLength},
			want: 5_000_000,
		},
		{
			// Tokens were produced before the error: 1,000 × 3,000 +
			// 5 × 15,000 = 3,075,000
			name: "not insured: completion then error", e: sonnet4, at: true,
			u:    Usage{PromptTokens: 1_000, CompletionTokens: 5, FinishReason: openai.FinishError},
			want: 3_075_000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := bundledPricing(t, c, tt.e)
			var got money.Amount
			var err error
			if tt.at {
				got, err = CostAt(p, generationStart, tt.u)
			} else {
				got, err = Cost(p, tt.u)
			}
			if err != nil || got != tt.want {
				t.Fatalf("%s: cost of %+v = %d (%v), want %d nano-dollars", tt.e, tt.u, got, err, tt.want)
			}
		})
	}
}

func TestBYOKFeeOnBundledCatalog(t *testing.T) {
	c := bundledCatalog(t)
	tests := []struct {
		name     string
		e        pricedEndpoint
		u        Usage
		listCost money.Amount // hand-computed, asserted too
		fee      money.Amount
	}{
		{
			// List cost 28,650,000 (see "claude cache read and write");
			// 5% = 1,432,500
			name: "claude with cache", e: sonnet4,
			u: Usage{PromptTokens: 12_000, CachedTokens: 8_000, CacheWriteTokens: 2_000,
				CompletionTokens: 850, FinishReason: openai.FinishStop},
			listCost: 28_650_000, fee: 1_432_500,
		},
		{
			// 7 × 1,250 + 3 × 10,000 = 8,750 + 30,000 = 38,750;
			// 5% = 1,937.5, half rounds up: 1,938
			name: "fee rounds half up", e: gemini25Pro,
			u:        Usage{PromptTokens: 7, CompletionTokens: 3, FinishReason: openai.FinishStop},
			listCost: 38_750, fee: 1_938,
		},
		{
			// 3 × 1,250 + 1 × 10,000 = 13,750; 5% = 687.5 → 688
			name: "fee rounds half up, smaller", e: gemini25Pro,
			u:        Usage{PromptTokens: 3, CompletionTokens: 1, FinishReason: openai.FinishStop},
			listCost: 13_750, fee: 688,
		},
		{
			// 1 × 1,250 + 1 × 10,000 = 11,250; 5% = 562.5 → 563
			name: "one token each", e: gemini25Pro,
			u:        Usage{PromptTokens: 1, CompletionTokens: 1, FinishReason: openai.FinishStop},
			listCost: 11_250, fee: 563,
		},
		{
			// 1 × 2,999.99 = 2,999.99 → 3,000 (rounded once, in Cost);
			// 5% = 150
			name: "sub-nano list price", e: sonnet37Databricks,
			u:        Usage{PromptTokens: 1, FinishReason: openai.FinishStop},
			listCost: 3_000, fee: 150,
		},
		{
			// Insured generation: list cost 0, so no fee.
			name: "insured", e: sonarSmall,
			u:        Usage{PromptTokens: 1_200, FinishReason: openai.FinishError},
			listCost: 0, fee: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := bundledPricing(t, c, tt.e)
			list, err := CostAt(p, generationStart, tt.u)
			if err != nil || list != tt.listCost {
				t.Fatalf("%s: list cost of %+v = %d (%v), want %d", tt.e, tt.u, list, err, tt.listCost)
			}
			if got := BYOKFee(list, DefaultBYOKFeePermille); got != tt.fee {
				t.Fatalf("BYOKFee(%d, %d) = %d, want %d", list, DefaultBYOKFeePermille, got, tt.fee)
			}
		})
	}
}
