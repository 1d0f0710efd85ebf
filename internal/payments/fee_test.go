package payments

import (
	"math"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
)

func TestFee(t *testing.T) {
	const usd = money.NanoPerUSD
	tests := []struct {
		name     string
		gross    money.Amount
		permille int
		minimum  money.Amount
		want     money.Amount
	}{
		{"5% of $10", 10 * usd, 50, 0, usd / 2},
		{"5% of $1", usd, DefaultFeePermille, 0, 50_000_000},
		{"half rounds up", 10, 50, 0, 1},             // 0.5
		{"below half rounds down", 9, 50, 0, 0},      // 0.45
		{"1.5 rounds up", 30, 50, 0, 2},              // 1.5
		{"fraction past thousands", 1010, 50, 0, 51}, // 50.5
		{"2.9% of $7.77", 777 * Cent, 29, 0, 225_330_000},
		{"minimum raises", usd, 50, 30 * Cent, 30 * Cent},
		{"minimum below fee", 100 * usd, 50, 30 * Cent, 5 * usd},
		{"capped at gross", 10 * Cent, 50, 30 * Cent, 10 * Cent},
		{"zero rate", 10 * usd, 0, 0, 0},
		{"zero rate with minimum", 10 * usd, 0, Cent, Cent},
		{"negative rate clamps to zero", 10 * usd, -5, 0, 0},
		{"full rate", 10 * usd, 1000, 0, 10 * usd},
		{"rate above 1000 clamps", 10 * usd, 5000, 0, 10 * usd},
		{"zero gross", 0, 50, Cent, 0},
		{"negative gross", -usd, 50, Cent, 0},
		// 9223372036854775807 × 0.05 = 461168601842738790.35
		{"no overflow at max", math.MaxInt64, 50, 0, 461168601842738790},
		{"no overflow at max, full rate", math.MaxInt64, 1000, 0, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fee(tt.gross, tt.permille, tt.minimum); got != tt.want {
				t.Errorf("Fee(%d, %d, %d) = %d, want %d", tt.gross, tt.permille, tt.minimum, got, tt.want)
			}
		})
	}
}
