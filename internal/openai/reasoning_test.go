package openai

import (
	"encoding/json"
	"testing"
)

func TestReasoningRequest(t *testing.T) {
	f, tr := false, true
	tests := []struct {
		name    string
		req     ChatRequest
		want    Reasoning
		wantErr bool
	}{
		{name: "absent", req: ChatRequest{}, want: Reasoning{}},
		{name: "effort", req: ChatRequest{Reasoning: json.RawMessage(`{"effort":"high"}`)}, want: Reasoning{Set: true, Enabled: true, Effort: "high"}},
		{name: "shorthand", req: ChatRequest{ReasoningEffort: "low"}, want: Reasoning{Set: true, Enabled: true, Effort: "low"}},
		{name: "object wins over shorthand", req: ChatRequest{ReasoningEffort: "low", Reasoning: json.RawMessage(`{"effort":"max"}`)}, want: Reasoning{Set: true, Enabled: true, Effort: "max"}},
		{name: "enabled means medium", req: ChatRequest{Reasoning: json.RawMessage(`{"enabled":true}`)}, want: Reasoning{Set: true, Enabled: true, Effort: "medium"}},
		{name: "budget", req: ChatRequest{Reasoning: json.RawMessage(`{"max_tokens":2000}`)}, want: Reasoning{Set: true, Enabled: true, MaxTokens: 2000}},
		{name: "none", req: ChatRequest{Reasoning: json.RawMessage(`{"effort":"none"}`)}, want: Reasoning{Set: true, Effort: "none"}},
		{name: "disabled", req: ChatRequest{Reasoning: json.RawMessage(`{"effort":"high","enabled":false}`)}, want: Reasoning{Set: true}},
		{name: "exclude", req: ChatRequest{Reasoning: json.RawMessage(`{"effort":"low","exclude":true}`)}, want: Reasoning{Set: true, Enabled: true, Effort: "low", Exclude: true}},
		{name: "include_reasoning true", req: ChatRequest{IncludeReasoning: &tr}, want: Reasoning{Set: true, Enabled: true, Effort: "medium"}},
		{name: "include_reasoning false", req: ChatRequest{IncludeReasoning: &f, ReasoningEffort: "high"}, want: Reasoning{Set: true, Enabled: true, Effort: "high", Exclude: true}},
		{name: "bad effort", req: ChatRequest{ReasoningEffort: "extreme"}, wantErr: true},
		{name: "both", req: ChatRequest{Reasoning: json.RawMessage(`{"effort":"low","max_tokens":10}`)}, wantErr: true},
		{name: "negative", req: ChatRequest{Reasoning: json.RawMessage(`{"max_tokens":-1}`)}, wantErr: true},
		{name: "not an object", req: ChatRequest{Reasoning: json.RawMessage(`"high"`)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.ReasoningRequest()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReasoningBudget(t *testing.T) {
	tests := []struct {
		r             Reasoning
		maxTokens     int
		lo, hi, want  int
		wantEffortFor string
	}{
		{Reasoning{Enabled: true, Effort: "high"}, 10000, 1024, 128000, 8000, "high"},
		{Reasoning{Enabled: true, Effort: "low"}, 2000, 1024, 128000, 1024, "low"},      // clamped up
		{Reasoning{Enabled: true, Effort: "max"}, 1 << 20, 1024, 128000, 128000, "max"}, // clamped down
		{Reasoning{Enabled: true, MaxTokens: 3000}, 10000, 1024, 128000, 3000, "low"},   // 0.3 is nearest low
		{Reasoning{Enabled: true, MaxTokens: 9000}, 10000, 1024, 128000, 9000, "xhigh"}, // 0.9
		{Reasoning{Set: true}, 10000, 1024, 128000, 0, "none"},
	}
	for _, tt := range tests {
		if got := tt.r.Budget(tt.maxTokens, tt.lo, tt.hi); got != tt.want {
			t.Errorf("%+v.Budget(%d) = %d, want %d", tt.r, tt.maxTokens, got, tt.want)
		}
		if got := tt.r.EffortFor(tt.maxTokens); got != tt.wantEffortFor {
			t.Errorf("%+v.EffortFor(%d) = %q, want %q", tt.r, tt.maxTokens, got, tt.wantEffortFor)
		}
	}
}

func TestReasoningDetailsRoundTrip(t *testing.T) {
	in := []ReasoningDetail{
		{Type: ReasoningText, Text: "think", Signature: "sig==", Format: FormatAnthropic},
		{Type: ReasoningEncrypted, Data: "opaque", Format: FormatAnthropic, Index: 1},
	}
	got, err := ParseReasoningDetails(ReasoningDetailsJSON(in))
	if err != nil || len(got) != 2 || got[0] != in[0] || got[1] != in[1] {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	if d, err := ParseReasoningDetails(json.RawMessage(" null ")); d != nil || err != nil {
		t.Errorf("null = %v, %v", d, err)
	}
	if _, err := ParseReasoningDetails(json.RawMessage(`{"type":"x"}`)); err == nil {
		t.Error("an object was accepted as reasoning_details")
	}
}
