package ratelimit

import "time"

// OpenRouter's free-variant (":free") limits, per account (reference §5.4).
const (
	FreePerMinute         = 20   // requests per minute
	FreePerDay            = 50   // requests per UTC day, under $10 of credits ever purchased
	FreePerDayHighBalance = 1000 // requests per UTC day, with $10 or more purchased
)

// Decision.Reason values of FreeVariant, as in OpenRouter's error messages.
const (
	ReasonFreePerMinute         = "free-models-per-minute"
	ReasonFreePerDay            = "free-models-per-day"
	ReasonFreePerDayHighBalance = "free-models-per-day-high-balance"
)

// Counter keys of the free-variant limits; the account id is the Rule.ID.
// Both daily tiers share one counter, so buying credits mid-day keeps the
// day's count.
const (
	freeMinuteKey = "ratelimit/free-variant/minute"
	freeDayKey    = "ratelimit/free-variant/day"
)

// FreeVariant checks and counts one request of accountID to a free variant
// at now (normally l.Now()): FreePerMinute per sliding minute, and per UTC
// day FreePerDay, or FreePerDayHighBalance when purchasedEnough (the account
// bought $10 of credits or more, ever). The request is counted against both
// limits or neither; the stricter decision is returned, its Reason one of
// the ReasonFree* constants.
func FreeVariant(l *Limiter, accountID int64, purchasedEnough bool, now time.Time) Decision {
	day := Rule{Key: freeDayKey, ID: accountID, Limit: FreePerDay, Window: 24 * time.Hour, Fixed: true, Reason: ReasonFreePerDay}
	if purchasedEnough {
		day.Limit, day.Reason = FreePerDayHighBalance, ReasonFreePerDayHighBalance
	}
	minute := Rule{Key: freeMinuteKey, ID: accountID, Limit: FreePerMinute, Window: time.Minute, Reason: ReasonFreePerMinute}
	return l.CheckAt(now, minute, day)
}

// Message is the error message for a denied decision, in OpenRouter's
// wording: "Rate limit exceeded: free-models-per-day. Add 10 credits to
// unlock 1000 free model requests per day", else "Rate limit exceeded:
// <Reason>." ("Rate limit exceeded" with no Reason).
func (d Decision) Message() string {
	switch d.Reason {
	case "":
		return "Rate limit exceeded"
	case ReasonFreePerDay:
		return "Rate limit exceeded: " + ReasonFreePerDay + ". Add 10 credits to unlock 1000 free model requests per day"
	default:
		return "Rate limit exceeded: " + d.Reason + "."
	}
}
