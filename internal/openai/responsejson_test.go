package openai

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// checkMarshalBytes holds v.AppendJSON followed by EscapeHTML to
// json.Marshal, byte for byte: what the gateway's writeJSON wrote.
func checkMarshalBytes(t *testing.T, v appender) {
	t.Helper()
	got, err := v.AppendJSON([]byte("<prefix>"))
	if err != nil {
		t.Fatalf("AppendJSON: %v", err)
	}
	got = EscapeHTML(got, len("<prefix>"))
	if !bytes.HasPrefix(got, []byte("<prefix>")) {
		t.Fatalf("EscapeHTML changed what came before start: %q", got)
	}
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got = got[len("<prefix>"):]; !bytes.Equal(got, want) {
		t.Errorf("EscapeHTML(AppendJSON):\n%s\nwant (json.Marshal)\n%s", got, want)
	}
}

// fullResponse has every field of a response set, with values that
// escape differently for HTML or not at all.
func fullResponse() *ChatResponse {
	idx := 0
	cost := money.Amount(1234567)
	return &ChatResponse{
		ID: "gen-1", Object: ObjectChatCompletion, Created: 1767225600, Model: "openai/gpt-4o",
		Provider: "OpenAI", SystemFingerprint: "fp_1", ServiceTier: "default",
		Choices: []Choice{{
			Index: 1,
			Message: ResponseMessage{Role: "assistant", Content: Ptr("hi <b> & \u2028 bye"), Refusal: Ptr(""),
				ToolCalls: []ToolCall{
					{Index: &idx, ID: "call_1", Type: "function", Function: FunctionCall{Name: "f", Arguments: `{"a":"<&>"}`}},
					{Function: FunctionCall{Arguments: ""}},
				},
				Reasoning:        Ptr("think\n"),
				ReasoningDetails: json.RawMessage("[ {\"type\": \"reasoning.text\",\n \"text\":\"<t> \u2028\"} ]"),
				Annotations:      json.RawMessage(`[{"type":"url_citation","url_citation":{"url":"https://example.com/?a=1&b=2"}}]`)},
			FinishReason: Ptr(FinishToolCalls), NativeFinishReason: Ptr("tool_use"),
			Logprobs: json.RawMessage(`{"content": [ {"token":"<","logprob":-0.5} ]}`),
		}, {Index: 2}},
		Usage: &Usage{PromptTokens: 10, CompletionTokens: 20, TotalTokens: 30,
			PromptTokensDetails:     &PromptTokensDetails{CachedTokens: 1, CacheWriteTokens: 2, AudioTokens: 3},
			CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: 4, AudioTokens: 5, ImageTokens: 6},
			Cost:                    &cost, IsBYOK: true},
		SwitchyardRouting: map[string]any{"strategy": "price <&>", "candidates": []string{"a", "b"}},
	}
}

func TestChatResponseAppendJSONLikeEncoder(t *testing.T) {
	responses := []*ChatResponse{
		fullResponse(),
		{},
		{Choices: []Choice{}},
		{ID: "x", Object: ObjectChatCompletion, Created: -1, Model: "m",
			Choices: []Choice{{Message: ResponseMessage{Content: Ptr("")}, FinishReason: Ptr(FinishError), Logprobs: json.RawMessage("null")}},
			Usage:   &Usage{PromptTokensDetails: &PromptTokensDetails{}, CompletionTokensDetails: &CompletionTokensDetails{}, Cost: new(money.Amount)}},
		{Choices: []Choice{{Message: ResponseMessage{ToolCalls: []ToolCall{}, ReasoningDetails: json.RawMessage{}, Annotations: json.RawMessage{}}}}},
		{Choices: []Choice{{Message: ResponseMessage{Annotations: json.RawMessage(" [ ] ")}}}},
		{SwitchyardRouting: (*int)(nil)},
	}
	for _, s := range trickyStrings {
		responses = append(responses, &ChatResponse{ID: s, Object: s, Model: s, Provider: s, SystemFingerprint: s, ServiceTier: s,
			Choices: []Choice{{Message: ResponseMessage{Role: s, Content: &s, Refusal: &s, Reasoning: &s,
				ToolCalls: []ToolCall{{ID: s, Type: s, Function: FunctionCall{Name: s, Arguments: s}}}},
				FinishReason: &s, NativeFinishReason: &s}}})
	}
	for _, r := range responses {
		checkAppendJSON(t, r)
		checkMarshalBytes(t, r)
	}
}

// TestChatResponseAppendJSONEveryField fills every field of a response,
// found by reflection, so that a field added to it (or to its choices,
// messages or usage) without being added to its appender fails here.
func TestChatResponseAppendJSONEveryField(t *testing.T) {
	r := new(ChatResponse)
	fill(reflect.ValueOf(r).Elem(), 0)
	checkAppendJSON(t, r)
	checkMarshalBytes(t, r)
	// Every field is set, so every field is written, at every level.
	out, err := r.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	var resp, choice, message map[string]json.RawMessage
	var choices []map[string]json.RawMessage
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(resp["choices"], &choices); err != nil || len(choices) == 0 {
		t.Fatalf("choices %s: %v", resp["choices"], err)
	}
	choice = choices[0]
	if err := json.Unmarshal(choice["message"], &message); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		typ     reflect.Type
		written map[string]json.RawMessage
	}{
		{reflect.TypeFor[ChatResponse](), resp},
		{reflect.TypeFor[Choice](), choice},
		{reflect.TypeFor[ResponseMessage](), message},
	} {
		if want := c.typ.NumField(); len(c.written) != want {
			t.Errorf("%v: %d fields written, want %d: %s", c.typ, len(c.written), want, out)
		}
	}
}

// TestChatResponseAppendJSONInvalidRaw checks that raw JSON that is not
// valid fails the encoding, as it fails json.Marshal, rather than
// reaching a client; so does an empty but non-nil logprobs, which
// json.Marshal cannot write.
func TestChatResponseAppendJSONInvalidRaw(t *testing.T) {
	for _, r := range []*ChatResponse{
		{Choices: []Choice{{Logprobs: json.RawMessage(`{"a":`)}}},
		{Choices: []Choice{{Logprobs: json.RawMessage{}}}},
		{Choices: []Choice{{Message: ResponseMessage{ReasoningDetails: json.RawMessage("[1,]")}}}},
		{Choices: []Choice{{Message: ResponseMessage{Annotations: json.RawMessage("[")}}}},
		{SwitchyardRouting: func() {}},
	} {
		if _, err := json.Marshal(r); err == nil {
			t.Fatal("json.Marshal accepted invalid raw JSON")
		}
		if out, err := r.AppendJSON(nil); err == nil {
			t.Errorf("AppendJSON accepted invalid raw JSON: %s", out)
		}
	}
}

func FuzzChatResponseAppendJSON(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, s, int64(1), 2, true)
	}
	f.Add("<&>\u2028\u2029\xe2\x80", "\xe2\x80\xa8", int64(-1), 0, false)
	f.Fuzz(func(t *testing.T, content, name string, created int64, index int, byok bool) {
		r := &ChatResponse{ID: name, Object: ObjectChatCompletion, Created: created, Model: name, Provider: name,
			Choices: []Choice{{Index: index, Message: ResponseMessage{Role: name, Content: &content, Reasoning: &name,
				ToolCalls: []ToolCall{{Index: &index, ID: name, Function: FunctionCall{Name: name, Arguments: content}}}},
				FinishReason: &name}},
			Usage: &Usage{PromptTokens: index, TotalTokens: int(created), IsBYOK: byok}}
		checkAppendJSON(t, r)
		checkMarshalBytes(t, r)
		// Raw JSON that carries the string as is: EscapeHTML must escape
		// it as json.Marshal compacts a json.RawMessage.
		if lit, err := json.Marshal(content); err == nil {
			raw := append(append([]byte(`{"raw": [`), bytes.ReplaceAll(lit, []byte(`\u003c`), []byte("<"))...), "]}"...)
			if json.Valid(raw) {
				checkMarshalBytes(t, &ChatResponse{Choices: []Choice{{Logprobs: raw,
					Message: ResponseMessage{Annotations: raw, ReasoningDetails: raw}}}})
			}
		}
	})
}

// TestEscapeHTML holds EscapeHTML to json.HTMLEscape, which escapes the
// same bytes.
func TestEscapeHTML(t *testing.T) {
	inputs := append([]string{
		"", "<", "a>b", "&&&&&&&&&&&&", "\u2028", "\u2029", "x\u2028y\u2029z", "\xe2\x80", "\xe2\x80\xaa", "\xe2\x80\xa8\xe2",
		"— “curly” quotes — and dashes — that start with 0xE2 —", "0123456<", "01234567<", "012345678<",
		`{"a":"<script>alert(1)</script> & more","b":[1,2]}`,
	}, trickyStrings...)
	for _, s := range inputs {
		checkEscapeHTML(t, s)
	}
}

func FuzzEscapeHTML(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Add("— “curly” <quotes> & \u2028")
	f.Fuzz(checkEscapeHTML)
}

func checkEscapeHTML(t *testing.T, s string) {
	var want bytes.Buffer
	json.HTMLEscape(&want, []byte(s))
	got := EscapeHTML([]byte("<kept>"+s), len("<kept>"))
	if !bytes.Equal(got, append([]byte("<kept>"), want.Bytes()...)) {
		t.Errorf("EscapeHTML(%q) = %q, want %q", s, got, "<kept>"+want.String())
	}
}

// TestChatResponseAppendJSONAllocs pins that a response is written, and
// checked for HTML, without allocating once the buffer has grown, but
// for the cost's decimal string (money.Amount.String).
func TestChatResponseAppendJSONAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	r := benchResponse()
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = r.AppendJSON(buf[:0]); err != nil {
			t.Fatal(err)
		}
		buf = EscapeHTML(buf, 0)
	})
	var s string
	cost := testing.AllocsPerRun(100, func() { s = r.Usage.Cost.String() })
	if allocs > cost {
		t.Errorf("%v allocations to write a response, want at most %v (the cost's %q)", allocs, cost, s)
	}
}

// benchResponse is the usual response: one choice with a paragraph of
// text, and the usage with its cost.
func benchResponse() *ChatResponse {
	cost := money.Amount(123456)
	return &ChatResponse{ID: "gen-1767225600-abcdefghijklmnopqrst", Object: ObjectChatCompletion, Created: 1767225600,
		Model: "openai/gpt-4o-mini", Provider: "OpenAI", SystemFingerprint: "fp_bench", ServiceTier: "default",
		Choices: []Choice{{Message: ResponseMessage{Role: "assistant", Content: Ptr("Sure! Here is a short answer.\n\n" +
			"The gateway relays each request to the cheapest healthy provider, retries on another when one fails, " +
			"and bills the account for the tokens used, with the cost reported in the usage.")},
			FinishReason: Ptr(FinishStop), NativeFinishReason: Ptr("stop"), Logprobs: json.RawMessage("null")}},
		Usage: &Usage{PromptTokens: 256, CompletionTokens: 48, TotalTokens: 304,
			PromptTokensDetails: &PromptTokensDetails{}, CompletionTokensDetails: &CompletionTokensDetails{}, Cost: &cost}}
}

func BenchmarkChatResponseJSON(b *testing.B) {
	r := benchResponse()
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			buf, _ = r.AppendJSON(buf[:0])
			buf = EscapeHTML(buf, 0)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(r)
		}
	})
}
