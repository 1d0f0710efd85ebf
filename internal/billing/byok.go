package billing

import "github.com/switchyard-dev/switchyard/internal/money"

// DefaultBYOKFeePermille is the default fee on a generation served with
// the account's own provider key (BYOK): 50‰, 5% of what the generation
// would have cost at list price, as OpenRouter charges. The provider bills
// the account for the tokens; the gateway charges only this fee.
const DefaultBYOKFeePermille = 50

// BYOKFee returns what a BYOK generation is charged: listCost, its cost at
// the endpoint's list prices (Cost or CostAt, zero-completion insurance
// included), times permille / 1000.
//
// The one rounding rule is money's: half away from zero to the nearest
// nano-dollar, applied once (for the non-negative costs of generations,
// half up). permille is clamped to [0, 1000], so the fee never exceeds the
// list cost. The arithmetic is exact and cannot overflow for any Amount.
func BYOKFee(listCost money.Amount, permille int64) money.Amount {
	p := money.Amount(min(max(permille, 0), 1000))
	// listCost = 1000q + r with |r| < 1000 and r of listCost's sign, so
	// listCost·p/1000 = q·p + r·p/1000: |q·p| ≤ |listCost| and |r·p| < 10⁶
	// cannot overflow, and only the second term has a fraction. Go's
	// division truncates toward zero, so adding ±500 before dividing rounds
	// half away from zero.
	q, r := listCost/1000, listCost%1000
	half := money.Amount(500)
	if r < 0 {
		half = -half
	}
	return q*p + (r*p+half)/1000
}
