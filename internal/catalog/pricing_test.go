package catalog

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// utc is 2026-07-24 at hh:mm:ss UTC.
func utc(hh, mm, ss int) time.Time { return time.Date(2026, 7, 24, hh, mm, ss, 0, time.UTC) }

func TestPricingAt(t *testing.T) {
	base := Pricing{
		Prompt: 1000, Completion: 2000, InputCacheRead: 100, Request: 5,
	}
	with := func(os ...PriceOverride) Pricing { p := base; p.Overrides = os; return p }
	offPeak := PriceOverride{UTCStart: "16:30", UTCEnd: "00:30", Prompt: 500, Completion: 1000}
	daytime := PriceOverride{UTCStart: "09:00", UTCEnd: "17:00", Completion: 3000}
	long := PriceOverride{MinPromptTokens: 200_000, Prompt: 2000, InputCacheRead: 200}
	longOffPeak := PriceOverride{UTCStart: "16:30", UTCEnd: "00:30", MinPromptTokens: 200_000, Prompt: 1500, InternalReasoning: 7}
	berlin := time.FixedZone("CEST", 2*3600)

	for _, tc := range []struct {
		name   string
		p      Pricing
		at     time.Time
		prompt int
		want   Pricing
	}{
		{"no overrides", base, utc(12, 0, 0), 1_000_000, base},
		{"all-day override", with(PriceOverride{Completion: 9}), utc(3, 0, 0), 0,
			Pricing{Prompt: 1000, Completion: 9, InputCacheRead: 100, Request: 5}},
		{"outside window", with(offPeak), utc(12, 0, 0), 10, base},
		{"window start is inside", with(offPeak), utc(16, 30, 0), 10,
			Pricing{Prompt: 500, Completion: 1000, InputCacheRead: 100, Request: 5}},
		{"last second before start", with(offPeak), utc(16, 29, 59), 10, base},
		{"before midnight", with(offPeak), utc(23, 59, 59), 10,
			Pricing{Prompt: 500, Completion: 1000, InputCacheRead: 100, Request: 5}},
		{"after midnight", with(offPeak), utc(0, 0, 0), 10,
			Pricing{Prompt: 500, Completion: 1000, InputCacheRead: 100, Request: 5}},
		{"last second before end", with(offPeak), utc(0, 29, 59), 10,
			Pricing{Prompt: 500, Completion: 1000, InputCacheRead: 100, Request: 5}},
		{"window end is outside", with(offPeak), utc(0, 30, 0), 10, base},
		{"time is read in UTC", with(offPeak), time.Date(2026, 7, 24, 18, 29, 0, 0, berlin), 10, base},
		{"time in another zone inside", with(offPeak), time.Date(2026, 7, 24, 18, 30, 0, 0, berlin), 10,
			Pricing{Prompt: 500, Completion: 1000, InputCacheRead: 100, Request: 5}},
		{"non-wrapping window end", with(daytime), utc(17, 0, 0), 0, base},
		{"window ending at midnight", with(PriceOverride{UTCStart: "22:00", UTCEnd: "00:00", Prompt: 1}), utc(23, 59, 0), 0,
			Pricing{Prompt: 1, Completion: 2000, InputCacheRead: 100, Request: 5}},
		{"below threshold", with(long), utc(12, 0, 0), 199_999, base},
		{"at threshold", with(long), utc(12, 0, 0), 200_000,
			Pricing{Prompt: 2000, Completion: 2000, InputCacheRead: 200, Request: 5}},
		{"threshold and window, short prompt", with(longOffPeak), utc(20, 0, 0), 1000, base},
		{"threshold and window, long prompt outside", with(longOffPeak), utc(12, 0, 0), 300_000, base},
		{"threshold and window, both met", with(longOffPeak), utc(20, 0, 0), 300_000,
			Pricing{Prompt: 1500, Completion: 2000, InputCacheRead: 100, Request: 5, InternalReasoning: 7}},
		{"later override wins field by field", with(offPeak, daytime, long, longOffPeak), utc(16, 45, 0), 250_000,
			// offPeak sets prompt 500 and completion 1000, daytime completion
			// 3000, long prompt 2000 and cache 200, longOffPeak prompt 1500.
			Pricing{Prompt: 1500, Completion: 3000, InputCacheRead: 200, Request: 5, InternalReasoning: 7}},
		{"earlier override kept when later does not match", with(long, offPeak), utc(20, 0, 0), 250_000,
			Pricing{Prompt: 500, Completion: 1000, InputCacheRead: 200, Request: 5}},
		{"malformed window never applies", with(PriceOverride{UTCStart: "9:00", UTCEnd: "17:00", Prompt: 1}), utc(12, 0, 0), 0, base},
		{"one-sided window never applies", with(PriceOverride{UTCStart: "09:00", Prompt: 1}), utc(12, 0, 0), 0, base},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.p.Overrides)
			got := tc.p.At(tc.at, tc.prompt)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("At(%s, %d) =\n %+v\nwant\n %+v", tc.at.Format(time.RFC3339), tc.prompt, got, tc.want)
			}
			if !reflect.DeepEqual(tc.p.Overrides, before) {
				t.Error("At modified the receiver's overrides")
			}
		})
	}
}

func TestPricingValidate(t *testing.T) {
	ok := func(o PriceOverride) PriceOverride {
		if o.Prompt == 0 {
			o.Prompt = 1
		}
		return o
	}
	for _, tc := range []struct {
		name    string
		p       Pricing
		wantErr string // substring; empty for valid
	}{
		{"plain", Pricing{Prompt: 1, Completion: 2}, ""},
		{"window", Pricing{Overrides: []PriceOverride{ok(PriceOverride{UTCStart: "16:30", UTCEnd: "00:30"})}}, ""},
		{"threshold only", Pricing{Overrides: []PriceOverride{ok(PriceOverride{MinPromptTokens: 128_001})}}, ""},
		{"negative base price", Pricing{Completion: -1}, "pricing.completion: negative price"},
		{"bad hour", Pricing{Overrides: []PriceOverride{ok(PriceOverride{UTCStart: "24:00", UTCEnd: "01:00"})}},
			`pricing.overrides[0]: utc_start "24:00" is not a UTC time HH:MM`},
		{"bad minute", Pricing{Overrides: []PriceOverride{ok(PriceOverride{UTCStart: "00:00", UTCEnd: "01:60"})}},
			`utc_end "01:60" is not a UTC time HH:MM`},
		{"missing zero", Pricing{Overrides: []PriceOverride{ok(PriceOverride{UTCStart: "9:00", UTCEnd: "17:00"})}},
			`utc_start "9:00"`},
		{"seconds", Pricing{Overrides: []PriceOverride{ok(PriceOverride{UTCStart: "09:00:00", UTCEnd: "17:00"})}},
			`utc_start "09:00:00"`},
		{"one-sided", Pricing{Overrides: []PriceOverride{ok(PriceOverride{}), ok(PriceOverride{UTCStart: "09:00"})}},
			`pricing.overrides[1]: utc_end "" is not a UTC time HH:MM (00:00–23:59); give both`},
		{"empty window", Pricing{Overrides: []PriceOverride{ok(PriceOverride{UTCStart: "09:00", UTCEnd: "09:00"})}},
			"utc_start and utc_end are both 09:00: the window is empty"},
		{"negative threshold", Pricing{Overrides: []PriceOverride{ok(PriceOverride{MinPromptTokens: -1})}},
			"min_prompt_tokens -1 is negative"},
		{"negative override price", Pricing{Overrides: []PriceOverride{{Prompt: 1, InputCacheRead: -1}}},
			"pricing.overrides[0]: input_cache_read: negative price"},
		{"no price", Pricing{Overrides: []PriceOverride{{MinPromptTokens: 5}}}, "replaces no price"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestNewRejectsInvalidOverride(t *testing.T) {
	f := baseFile()
	f.Models[0].Endpoints[0].Pricing.Overrides = []PriceOverride{{UTCStart: "25:00", UTCEnd: "01:00", Prompt: 1}}
	_, err := New(f)
	want := `catalog: model "openai/gpt-4o-mini": endpoint "openai": pricing.overrides[0]: utc_start "25:00"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("New = %v, want an error containing %q", err, want)
	}
}

func BenchmarkPricingAt(b *testing.B) {
	base := Pricing{Prompt: money.MustRate("0.00000027"), Completion: money.MustRate("0.0000011")}
	withOverrides := base
	withOverrides.Overrides = []PriceOverride{
		{UTCStart: "16:30", UTCEnd: "00:30", Prompt: money.MustRate("0.000000135"), Completion: money.MustRate("0.00000055")},
		{MinPromptTokens: 128_001, Prompt: money.MustRate("0.00000054")},
	}
	at := utc(17, 0, 0)
	for _, bc := range []struct {
		name string
		p    Pricing
	}{{"no overrides", base}, {"two overrides", withOverrides}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var sink Pricing
			for b.Loop() {
				sink = bc.p.At(at, 200_000)
			}
			if sink.Prompt == 0 {
				b.Fatal("no price")
			}
		})
	}
}

func TestPricingAtDoesNotAllocate(t *testing.T) {
	p := Pricing{Prompt: 1, Overrides: []PriceOverride{{UTCStart: "16:30", UTCEnd: "00:30", Prompt: 2}}}
	for _, q := range []Pricing{{Prompt: 1}, p} {
		if n := testing.AllocsPerRun(100, func() { _ = q.At(utc(17, 0, 0), 10) }); n != 0 {
			t.Errorf("At with %d overrides: %v allocations, want 0", len(q.Overrides), n)
		}
	}
}
