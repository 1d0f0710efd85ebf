package money

import (
	"errors"
	"math"
	"testing"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want Rate
		err  error
	}{
		{"0", 0, nil},
		{"0.00000059", 590_000_000, nil},
		{"5.9e-07", 590_000_000, nil},
		{"1e-15", 1, nil},
		{"0.000015", 15_000_000_000, nil},
		{"1", 1_000_000_000_000_000, nil},
		{"1e-16", 0, ErrRange},
		{"abc", 0, ErrSyntax},
		{"", 0, ErrSyntax},
		{"1.2.3", 0, ErrSyntax},
		{"-0.5", -500_000_000_000_000, nil},
		{"100000", 0, ErrRange},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, s := range []string{"0", "0.00000059", "1", "12.5", "0.000000000000001", "-3.25"} {
		r, err := ParseRate(s)
		if err != nil {
			t.Fatal(err)
		}
		if r.String() != s {
			t.Errorf("Rate(%q).String() = %q", s, r.String())
		}
	}
	a, _ := ParseAmount("10.25")
	if a != 10_250_000_000 || a.String() != "10.25" {
		t.Errorf("ParseAmount(10.25) = %d %q", a, a)
	}
	if got := MustRate("0.00000059").PerMillion(); got != "0.59" {
		t.Errorf("PerMillion = %q", got)
	}
}

func TestCostRoundsOnceHalfAwayFromZero(t *testing.T) {
	var c Cost
	// 3 tokens at 0.0000000005 USD/token = 1.5 nano-dollars: rounds to 2.
	c.Add(3, MustRate("0.0000000005"))
	got, err := c.Amount()
	if err != nil || got != 2 {
		t.Fatalf("got %d, %v; want 2", got, err)
	}
	// Rounding per term would give 1+1 = 2 nano-dollars for two 0.7 terms; once: 1.4 → 1.
	var d Cost
	d.Add(1, MustRate("0.0000000007"))
	d.Add(1, MustRate("0.0000000007"))
	if got, _ := d.Amount(); got != 1 {
		t.Fatalf("got %d, want 1", got)
	}
	var n Cost
	n.Add(-3, MustRate("0.0000000005"))
	if got, _ := n.Amount(); got != -2 {
		t.Fatalf("negative: got %d, want -2", got)
	}
}

func TestCostLargeExact(t *testing.T) {
	var c Cost
	// 2^40 tokens at $75 per million: the femto product exceeds int64.
	c.Add(1<<40, MustRate("0.000075"))
	got, err := c.Amount()
	want := Amount((int64(1) << 40) * 75_000)
	if err != nil || got != want {
		t.Fatalf("got %d, %v; want %d", got, err, want)
	}
}

func TestAffordable(t *testing.T) {
	for _, tt := range []struct {
		a    Amount
		rate string
		want int64
	}{
		{NanoPerUSD, "0.000001", 1_000_000}, // $1 at $1/M tokens
		{NanoPerUSD, "0.000015", 66_666},    // rounded down
		{1, "0.000000001", 1},               // a nano-dollar at a nano-dollar each
		{0, "0.000001", 0},                  // nothing buys nothing
		{-5, "0.000001", 0},
		{NanoPerUSD, "0", math.MaxInt64},                            // free
		{Amount(math.MaxInt64), "0.000000000000001", math.MaxInt64}, // saturates
	} {
		if got := Affordable(tt.a, MustRate(tt.rate)); got != tt.want {
			t.Errorf("Affordable(%s, %s) = %d, want %d", tt.a, tt.rate, got, tt.want)
		}
	}
}
