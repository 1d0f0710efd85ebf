// Package money holds Switchyard's integer money types.
//
// No float ever represents a price, a cost or a balance. Two units exist:
//
//   - Amount is a quantity of money in nano-dollars (1e-9 USD). Balances,
//     costs and ledger entries are Amounts. An int64 holds ±9.2 billion USD.
//   - Rate is a price per unit (per token, per request, per image) in
//     femto-dollars (1e-15 USD). $0.59 per million tokens is 590,000,000
//     femto-dollars per token; the smallest representable price is $0.001
//     per billion tokens.
//
// A cost is computed exactly as Σ units × rate in femto-dollars (128-bit
// intermediate, no overflow) and converted to an Amount once, by Round:
// half away from zero to the nearest nano-dollar. That is the one rounding
// rule of the system, applied once per generation.
package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Amount is money in nano-dollars (1e-9 USD).
type Amount int64

// Rate is a price per unit in femto-dollars (1e-15 USD).
type Rate int64

const (
	amountDigits = 9  // decimal places of an Amount in USD
	rateDigits   = 15 // decimal places of a Rate in USD

	// NanoPerUSD is the number of Amount units in one dollar.
	NanoPerUSD Amount = 1_000_000_000
	// femtoPerNano is the number of Rate units in one Amount unit.
	femtoPerNano = 1_000_000
)

// ErrSyntax reports a malformed decimal money string.
var ErrSyntax = errors.New("money: invalid decimal")

// ErrRange reports a value that does not fit or would lose precision.
var ErrRange = errors.New("money: value out of range or too precise")

// ParseAmount parses a decimal USD string ("12.5", "0.000000001") into an
// Amount. More than nine decimal places is an error, never a silent rounding.
func ParseAmount(s string) (Amount, error) {
	v, err := parseDecimal(s, amountDigits)
	return Amount(v), err
}

// ParseRate parses a decimal USD-per-unit string ("0.00000059") into a Rate.
// Exponent forms ("5.9e-07") are accepted because upstream price lists use
// them; more than fifteen decimal places is an error.
func ParseRate(s string) (Rate, error) {
	v, err := parseDecimal(s, rateDigits)
	return Rate(v), err
}

// MustRate is ParseRate for constants in code and tests; it panics on error.
func MustRate(s string) Rate {
	r, err := ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

// String renders the amount as a plain decimal USD string without trailing
// zeros, e.g. "0.000123" or "10".
func (a Amount) String() string { return formatDecimal(int64(a), amountDigits) }

// String renders the rate as a plain decimal USD-per-unit string without
// trailing zeros, e.g. "0.00000059". This is OpenRouter's pricing string form.
func (r Rate) String() string { return formatDecimal(int64(r), rateDigits) }

// PerMillion renders the rate as USD per million units, e.g. "0.59".
func (r Rate) PerMillion() string { return formatDecimal(int64(r), rateDigits-6) }

// MarshalJSON renders an Amount as a JSON number in USD with exact decimal
// digits (no float round trip).
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// Cost accumulates units × rate terms exactly and rounds once.
// The zero value is an empty cost.
type Cost struct {
	hi  int64 // signed high word of a 128-bit femto-dollar sum
	lo  uint64
	err error
}

// Add adds units × rate. Negative units or rates are allowed (discounts).
func (c *Cost) Add(units int64, rate Rate) {
	if units == 0 || rate == 0 {
		return
	}
	neg := (units < 0) != (rate < 0)
	u, r := abs64(units), abs64(int64(rate))
	hi, lo := bits.Mul64(u, r)
	if neg {
		// two's complement negate of the 128-bit product
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	var carry uint64
	c.lo, carry = bits.Add64(c.lo, lo, 0)
	sum, _ := bits.Add64(uint64(c.hi), hi, carry)
	// Overflow of the signed 128-bit sum needs ~1e23 USD; treat as impossible
	// but still detect it rather than wrap.
	if (c.hi >= 0) == (int64(hi) >= 0) && (int64(sum) >= 0) != (c.hi >= 0) {
		c.err = ErrRange
	}
	c.hi = int64(sum)
}

// Amount converts the exact femto-dollar sum to nano-dollars, rounding half
// away from zero. It fails only if the result does not fit an Amount.
func (c *Cost) Amount() (Amount, error) {
	if c.err != nil {
		return 0, c.err
	}
	// The sum is hi·2⁶⁴ + lo with hi signed (two's complement).
	n := new(big.Int).SetInt64(c.hi)
	n.Lsh(n, 64)
	n.Add(n, new(big.Int).SetUint64(c.lo))
	return roundFemto(n)
}

func roundFemto(n *big.Int) (Amount, error) {
	neg := n.Sign() < 0
	m := new(big.Int).Abs(n)
	q, r := new(big.Int).QuoRem(m, big.NewInt(femtoPerNano), new(big.Int))
	if r.Cmp(big.NewInt(femtoPerNano/2)) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, ErrRange
	}
	v := q.Int64()
	if neg {
		v = -v
	}
	return Amount(v), nil
}

func abs64(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// parseDecimal parses an optionally signed decimal with an optional exponent
// into an integer scaled by 10^digits, exactly.
func parseDecimal(s string, digits int) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w: %q", ErrSyntax, orig)
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 400 || e < -400 {
			return 0, fmt.Errorf("%w: %q", ErrSyntax, orig)
		}
		exp, s = e, s[:i]
	}
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return 0, fmt.Errorf("%w: %q", ErrSyntax, orig)
	}
	all := intPart + frac
	for i := 0; i < len(all); i++ {
		if all[i] < '0' || all[i] > '9' {
			return 0, fmt.Errorf("%w: %q", ErrSyntax, orig)
		}
	}
	// value = all × 10^(exp - len(frac)); scaled = value × 10^digits
	shift := exp - len(frac) + digits
	all = strings.TrimLeft(all, "0")
	if shift < 0 {
		cut := len(all) + shift
		if cut < 0 {
			cut = 0
		}
		if strings.Trim(all[cut:], "0") != "" {
			return 0, fmt.Errorf("%w: %q", ErrRange, orig)
		}
		all = all[:cut]
	} else if all != "" {
		all += strings.Repeat("0", shift)
	}
	if all == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(all, 10, 64)
	if err != nil || v > math.MaxInt64 {
		return 0, fmt.Errorf("%w: %q", ErrRange, orig)
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

func formatDecimal(v int64, digits int) string {
	neg := v < 0
	u := abs64(v)
	s := strconv.FormatUint(u, 10)
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	intPart, frac := s[:len(s)-digits], strings.TrimRight(s[len(s)-digits:], "0")
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// MarshalJSON renders a Rate as a JSON string of USD per unit, the form of
// OpenRouter's pricing objects ("0.00000059").
func (r Rate) MarshalJSON() ([]byte, error) { return []byte(`"` + r.String() + `"`), nil }

// UnmarshalJSON accepts a JSON string or number of USD per unit.
func (r *Rate) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*r = 0
		return nil
	}
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Affordable returns how many units at rate a buys, rounded down (for
// capping max_tokens at what a balance pays for); math.MaxInt64 when the
// rate is zero or negative.
func Affordable(a Amount, rate Rate) int64 {
	if rate <= 0 {
		return math.MaxInt64
	}
	if a <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), femtoPerNano)
	if hi >= uint64(rate) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(rate))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}
