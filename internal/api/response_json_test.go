package api

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// TestWriteResponseLikeWriteJSON holds writeResponse, which writes the
// non-streamed responses through their AppendJSON, to writeJSON, which
// wrote them with json.Marshal: the same status, headers and bytes, HTML
// escapes included, and writeJSON's failure when the encoding fails.
func TestWriteResponseLikeWriteJSON(t *testing.T) {
	cost := money.Amount(1234)
	for _, v := range []any{
		&openai.ChatResponse{ID: "gen-1", Object: openai.ObjectChatCompletion, Created: 1, Model: "m <&>", Provider: "P",
			Choices: []openai.Choice{{Message: openai.ResponseMessage{Role: "assistant", Content: openai.Ptr("<b>bold</b> & \u2028"),
				Annotations: json.RawMessage(`[{"url":"https://x.test/?a=1&b=<2>","s":"` + "\u2028" + `"}]`)},
				FinishReason: openai.Ptr("stop"), Logprobs: json.RawMessage("null")}},
			Usage:             &openai.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3, Cost: &cost},
			SwitchyardRouting: map[string]any{"why": "<cheapest>"}},
		&openai.ChatResponse{Choices: []openai.Choice{{Logprobs: json.RawMessage(`{"a":`)}}}, // fails
		&openai.CompletionResponse{ID: "cmpl-1", Object: openai.ObjectTextCompletion, Model: "m",
			Choices: []openai.CompletionChoice{{Text: "a < b && c > d", Logprobs: json.RawMessage("null")}}},
		map[string]any{"not": "an appender <>"},
	} {
		want := httptest.NewRecorder()
		writeJSON(want, 200, v)
		got := httptest.NewRecorder()
		writeResponse(got, v)
		if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Errorf("writeResponse(%T):\n%d %v %s\nwriteJSON:\n%d %v %s", v,
				got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
		}
	}
}
