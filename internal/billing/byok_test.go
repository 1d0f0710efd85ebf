package billing

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
)

func TestBYOKFee(t *testing.T) {
	const usd = money.NanoPerUSD
	tests := []struct {
		name     string
		listCost money.Amount
		permille int64
		want     money.Amount
	}{
		{"5% of $1", usd, DefaultBYOKFeePermille, 50_000_000},
		// 1000 prompt × $3/M + 100 completion × $15/M = 4,500,000 nano; 5% = 225,000
		{"5% of a Claude call", 4_500_000, 50, 225_000},
		{"zero cost", 0, 50, 0},
		{"under half a nano rounds down", 1, 50, 0}, // 0.05
		{"below half rounds down", 9, 50, 0},        // 0.45
		{"half rounds up", 10, 50, 1},               // 0.5
		{"1.5 rounds up", 30, 50, 2},                // 1.5
		{"fraction past thousands", 1010, 50, 51},   // 50.5
		{"1‰ just below half", 1499, 1, 1},          // 1.499
		{"1‰ half", 1500, 1, 2},                     // 1.5
		{"999‰ of a nano", 1, 999, 1},               // 0.999
		{"zero rate", usd, 0, 0},
		{"negative rate clamps to zero", usd, -50, 0},
		{"full rate", 123_456_789, 1000, 123_456_789},
		{"rate above 1000 clamps", 123_456_789, 5000, 123_456_789},
		// A negative cost (a discount) rounds half away from zero, as money does.
		{"negative below half", -9, 50, 0},    // -0.45
		{"negative half", -10, 50, -1},        // -0.5
		{"negative fraction", -1010, 50, -51}, // -50.5
		// 9223372036854775807 × 0.05 = 461168601842738790.35
		{"max, 5%", math.MaxInt64, 50, 461_168_601_842_738_790},
		// 9223372036854775807 × 0.001 = 9223372036854775.807
		{"max, 1‰", math.MaxInt64, 1, 9_223_372_036_854_776},
		// 9223372036854775807 × 0.999 = 9214148664817921031.193
		{"max, 999‰", math.MaxInt64, 999, 9_214_148_664_817_921_031},
		{"max, full", math.MaxInt64, 1000, math.MaxInt64},
		// −9223372036854775808 × 0.05 = −461168601842738790.4
		{"min, 5%", math.MinInt64, 50, -461_168_601_842_738_790},
		// −9223372036854775808 × 0.999 = −9214148664817921032.192
		{"min, 999‰", math.MinInt64, 999, -9_214_148_664_817_921_032},
		{"min, full", math.MinInt64, 1000, math.MinInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BYOKFee(tt.listCost, tt.permille); got != tt.want {
				t.Errorf("BYOKFee(%d, %d) = %d, want %d", tt.listCost, tt.permille, got, tt.want)
			}
		})
	}
}

// TestBYOKFeeRoundsLikeMoney checks that BYOKFee applies money's one
// rounding rule: listCost nano-dollars × permille/1000 is listCost units
// at permille × 1000 femto-dollars per unit, rounded by money.Cost.
func TestBYOKFeeRoundsLikeMoney(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 100_000 {
		var a money.Amount
		switch i % 3 {
		case 0:
			a = money.Amount(r.Int64N(1_000_000)) // small: every rounding remainder
		case 1:
			a = money.Amount(r.Int64()) // anywhere up to MaxInt64
		default:
			a = -money.Amount(r.Int64N(1_000_000))
		}
		p := r.Int64N(1001)
		var c money.Cost
		c.Add(int64(a), money.Rate(p*1000))
		want, err := c.Amount()
		if err != nil {
			t.Fatal(err)
		}
		if got := BYOKFee(a, p); got != want {
			t.Fatalf("BYOKFee(%d, %d) = %d, money.Cost rounds to %d", a, p, got, want)
		}
	}
}
