package billing

import (
	"testing"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
)

func TestCost(t *testing.T) {
	claude := catalog.Pricing{ // $3 / $15 per M, cache read $0.30, write $3.75
		Prompt:          money.MustRate("0.000003"),
		Completion:      money.MustRate("0.000015"),
		InputCacheRead:  money.MustRate("0.0000003"),
		InputCacheWrite: money.MustRate("0.00000375"),
	}
	o1 := catalog.Pricing{
		Prompt:            money.MustRate("0.000001"),
		Completion:        money.MustRate("0.000002"),
		InternalReasoning: money.MustRate("0.000004"),
		Request:           money.MustRate("0.001"),
	}
	tests := []struct {
		name string
		p    catalog.Pricing
		u    Usage
		want money.Amount
	}{
		{"plain", claude, Usage{PromptTokens: 1000, CompletionTokens: 100, FinishReason: "stop"},
			3_000_000 + 1_500_000},
		{"cache read billed once at read price", claude,
			Usage{PromptTokens: 1000, CachedTokens: 800, CompletionTokens: 0, FinishReason: "stop"},
			200*3000 + 800*300},
		{"cache write", claude,
			Usage{PromptTokens: 1000, CacheWriteTokens: 1000, CompletionTokens: 10, FinishReason: "stop"},
			1000*3750 + 10*15000},
		{"cached more than prompt is clamped", claude,
			Usage{PromptTokens: 10, CachedTokens: 50, FinishReason: "length"}, 10 * 300},
		{"reasoning priced separately plus request fee", o1,
			Usage{PromptTokens: 10, CompletionTokens: 30, ReasoningTokens: 20, FinishReason: "stop"},
			10*1000 + 10*2000 + 20*4000 + 1_000_000},
		{"zero completion insurance on error", claude,
			Usage{PromptTokens: 5000, FinishReason: "error"}, 0},
		{"zero completion insurance on blank finish", o1,
			Usage{PromptTokens: 5000}, 0},
		{"sub-nano cost rounds half up once", catalog.Pricing{Prompt: money.MustRate("0.0000000005")},
			Usage{PromptTokens: 3, FinishReason: "stop"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Cost(tt.p, tt.u)
			if err != nil || got != tt.want {
				t.Fatalf("Cost = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}
