package billing

import (
	"testing"
	"time"

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

func TestCostAt(t *testing.T) {
	at := func(hh, mm, ss int) time.Time { return time.Date(2026, 7, 24, hh, mm, ss, 0, time.UTC) }
	// DeepSeek-style: $0.27 / $1.10 per M, half price 16:30–00:30 UTC.
	deepseek := catalog.Pricing{
		Prompt:         money.MustRate("0.00000027"),
		Completion:     money.MustRate("0.0000011"),
		InputCacheRead: money.MustRate("0.00000007"),
		Overrides: []catalog.PriceOverride{{
			UTCStart: "16:30", UTCEnd: "00:30",
			Prompt: money.MustRate("0.000000135"), Completion: money.MustRate("0.00000055"),
			InputCacheRead: money.MustRate("0.000000035"),
		}},
	}
	// Gemini-2.5-Pro-style: $1.25 / $10 per M, $2.50 / $15 from 200k prompt tokens.
	gemini := catalog.Pricing{
		Prompt:         money.MustRate("0.00000125"),
		Completion:     money.MustRate("0.00001"),
		InputCacheRead: money.MustRate("0.000000125"),
		Overrides: []catalog.PriceOverride{{
			MinPromptTokens: 200_000,
			Prompt:          money.MustRate("0.0000025"), Completion: money.MustRate("0.000015"),
			InputCacheRead: money.MustRate("0.00000025"),
		}},
	}
	small := Usage{PromptTokens: 1_000_000, CompletionTokens: 1_000_000, FinishReason: "stop"}
	const peak, offPeak = 270_000_000 + 1_100_000_000, 135_000_000 + 550_000_000 // nano-dollars
	tests := []struct {
		name string
		p    catalog.Pricing
		at   time.Time
		u    Usage
		want money.Amount
	}{
		{"peak", deepseek, at(12, 0, 0), small, peak},
		{"last second before the window", deepseek, at(16, 29, 59), small, peak},
		{"window opens", deepseek, at(16, 30, 0), small, offPeak},
		{"across midnight", deepseek, at(0, 15, 0), small, offPeak},
		{"window closed", deepseek, at(0, 30, 0), small, peak},
		{"off-peak cache reads", deepseek, at(20, 0, 0),
			Usage{PromptTokens: 1_000_000, CachedTokens: 1_000_000, CompletionTokens: 1, FinishReason: "stop"},
			35_000_000 + 550},
		{"below the long-context threshold", gemini, at(12, 0, 0),
			Usage{PromptTokens: 199_999, CompletionTokens: 1000, FinishReason: "stop"},
			199_999*1250 + 1000*10_000},
		{"at the threshold", gemini, at(12, 0, 0),
			Usage{PromptTokens: 200_000, CompletionTokens: 1000, FinishReason: "stop"},
			200_000*2500 + 1000*15_000},
		{"threshold counts cached tokens", gemini, at(12, 0, 0),
			Usage{PromptTokens: 250_000, CachedTokens: 100_000, CompletionTokens: 1000, FinishReason: "stop"},
			150_000*2500 + 100_000*250 + 1000*15_000},
		{"insurance still applies", gemini, at(12, 0, 0), Usage{PromptTokens: 300_000, FinishReason: "error"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CostAt(tt.p, tt.at, tt.u)
			if err != nil || got != tt.want {
				t.Fatalf("CostAt = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}
