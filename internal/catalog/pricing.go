package catalog

import (
	"fmt"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// PriceOverride replaces some of an endpoint's token prices during a daily
// UTC window (off-peak discounts), for prompts of at least MinPromptTokens
// (long-context prices), or both.
//
// The window is [UTCStart, UTCEnd) in "HH:MM": the start minute is inside,
// the end minute is not. A window may wrap midnight (16:30–00:30); both
// empty means all day. A zero rate leaves that price unchanged, so an
// override cannot make a price free.
type PriceOverride struct {
	UTCStart        string `json:"utc_start,omitempty"`
	UTCEnd          string `json:"utc_end,omitempty"`
	MinPromptTokens int    `json:"min_prompt_tokens,omitempty"` // 0: any prompt

	Prompt            money.Rate `json:"prompt,omitempty"`
	Completion        money.Rate `json:"completion,omitempty"`
	InputCacheRead    money.Rate `json:"input_cache_read,omitempty"`
	InputCacheWrite   money.Rate `json:"input_cache_write,omitempty"`
	InternalReasoning money.Rate `json:"internal_reasoning,omitempty"`
}

// At returns the prices in effect at t for a prompt of promptTokens native
// tokens: every override whose window contains t and whose threshold the
// prompt reaches is applied in order, a later one winning field by field.
// The result has no overrides. At does not allocate.
//
// An override with an unparsable window (only possible when the Pricing
// bypassed New's validation) never applies.
func (p Pricing) At(t time.Time, promptTokens int) Pricing {
	if len(p.Overrides) == 0 {
		return p
	}
	overrides := p.Overrides
	p.Overrides = nil
	minute := -1 // minute of the UTC day, computed once when a window needs it
	for i := range overrides {
		o := &overrides[i]
		if promptTokens < o.MinPromptTokens {
			continue
		}
		if o.UTCStart != "" || o.UTCEnd != "" {
			if minute < 0 {
				h, m, _ := t.UTC().Clock()
				minute = h*60 + m
			}
			if !o.covers(minute) {
				continue
			}
		}
		replace(&p.Prompt, o.Prompt)
		replace(&p.Completion, o.Completion)
		replace(&p.InputCacheRead, o.InputCacheRead)
		replace(&p.InputCacheWrite, o.InputCacheWrite)
		replace(&p.InternalReasoning, o.InternalReasoning)
	}
	return p
}

// covers reports whether minute (of the UTC day) lies in o's window.
func (o *PriceOverride) covers(minute int) bool {
	start, okStart := parseClock(o.UTCStart)
	end, okEnd := parseClock(o.UTCEnd)
	switch {
	case !okStart || !okEnd || start == end:
		return false
	case start < end:
		return start <= minute && minute < end
	default: // wraps midnight
		return minute >= start || minute < end
	}
}

func replace(dst *money.Rate, r money.Rate) {
	if r != 0 {
		*dst = r
	}
}

// parseClock parses "HH:MM" (00:00–23:59) into minutes since midnight.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if !isDigit(s[i]) {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// Validate reports the first invalid price: a negative rate, or an
// override with a malformed or empty window, a negative threshold, or no
// price to replace.
func (p Pricing) Validate() error {
	for _, r := range []struct {
		name string
		rate money.Rate
	}{
		{"prompt", p.Prompt}, {"completion", p.Completion}, {"request", p.Request},
		{"image", p.Image}, {"input_cache_read", p.InputCacheRead},
		{"input_cache_write", p.InputCacheWrite}, {"internal_reasoning", p.InternalReasoning},
	} {
		if r.rate < 0 {
			return fmt.Errorf("pricing.%s: negative price %s", r.name, r.rate)
		}
	}
	for i := range p.Overrides {
		if err := p.Overrides[i].validate(); err != nil {
			return fmt.Errorf("pricing.overrides[%d]: %w", i, err)
		}
	}
	return nil
}

func (o *PriceOverride) validate() error {
	if o.UTCStart != "" || o.UTCEnd != "" {
		for _, c := range []struct{ name, v string }{{"utc_start", o.UTCStart}, {"utc_end", o.UTCEnd}} {
			if _, ok := parseClock(c.v); !ok {
				return fmt.Errorf("%s %q is not a UTC time HH:MM (00:00–23:59); give both utc_start and utc_end, or neither for all day", c.name, c.v)
			}
		}
		if o.UTCStart == o.UTCEnd {
			return fmt.Errorf("utc_start and utc_end are both %s: the window is empty (leave both out for all day)", o.UTCStart)
		}
	}
	if o.MinPromptTokens < 0 {
		return fmt.Errorf("min_prompt_tokens %d is negative", o.MinPromptTokens)
	}
	rates := []struct {
		name string
		rate money.Rate
	}{
		{"prompt", o.Prompt}, {"completion", o.Completion}, {"input_cache_read", o.InputCacheRead},
		{"input_cache_write", o.InputCacheWrite}, {"internal_reasoning", o.InternalReasoning},
	}
	priced := false
	for _, r := range rates {
		if r.rate < 0 {
			return fmt.Errorf("%s: negative price %s", r.name, r.rate)
		}
		priced = priced || r.rate != 0
	}
	if !priced {
		return fmt.Errorf("replaces no price (give prompt, completion, input_cache_read, input_cache_write or internal_reasoning)")
	}
	return nil
}
