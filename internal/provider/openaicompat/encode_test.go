package openaicompat

import (
	"bytes"
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// TestMarshalLikeEncoder holds marshal to encoding/json: for requests
// built in code, whose content has nothing to copy and nothing that
// Content.MarshalJSON would HTML-escape, the body is the encoder's byte for
// byte, whatever the fields around the messages hold.
func TestMarshalLikeEncoder(t *testing.T) {
	idx := 0
	rich := openai.ChatRequest{
		Model: `odd "messages":null model`, MaxTokens: openai.Ptr(64), Temperature: openai.Ptr(1e-7), TopP: openai.Ptr(0.25),
		Stop: json.RawMessage(`[ "a", "b" ]`), Metadata: json.RawMessage(`{"messages":null,"html":"<&>"}`),
		Tools:      []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "f", Description: "<d>", Parameters: json.RawMessage(`{"type": "object"}`)}}},
		ToolChoice: json.RawMessage(`"auto"`), User: "u<1>", Stream: true, StreamOptions: &openai.StreamOptions{IncludeUsage: true},
		Provider: &openai.ProviderPrefs{Order: []string{"a"}}, Reasoning: json.RawMessage(`{"effort":"low"}`),
	}
	for _, msgs := range [][]openai.Message{
		nil,
		{},
		{{Role: "user", Content: openai.TextContent("plain \"quoted\" \u2028 é\n\xff")}},
		{
			{Role: "system", Content: openai.TextContent("s"), Name: "n"},
			{Role: "user", Content: openai.PartsContent(
				openai.ContentPart{Type: "text", Text: "look"},
				openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "https://x/a.png", Detail: "low"}},
			)},
			{Role: "assistant", Refusal: openai.Ptr(""), Reasoning: "r", ReasoningDetails: json.RawMessage(`[ {"type":"reasoning.text"} ]`),
				ToolCalls: []openai.ToolCall{{Index: &idx, ID: "c1", Type: "function", Function: openai.FunctionCall{Name: "f", Arguments: "{}"}}}},
			{Role: "tool", ToolCallID: "c1", Content: openai.TextContent("ok")},
		},
	} {
		for _, req := range []openai.ChatRequest{rich, {}, {Model: "m"}} {
			for _, seed := range []*int64{nil, openai.Ptr(int64(7))} {
				req.Messages = msgs
				var want bytes.Buffer
				enc := json.NewEncoder(&want)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(upstreamRequest{ChatRequest: &req, RandomSeed: seed}); err != nil {
					t.Fatal(err)
				}
				req.Messages = nil
				spliced, err := marshal(&upstreamRequest{ChatRequest: &req, RandomSeed: seed}, msgs)
				if err != nil {
					t.Fatal(err)
				}
				if got := spliced.Bytes(); !bytes.Equal(got, want.Bytes()) {
					t.Errorf("marshal:\n%s\nwant\n%s", got, want.Bytes())
				}
			}
		}
	}
}

// TestEncodeCopiesPrompt checks that a client's text content reaches an
// OpenAI-compatible upstream as the client wrote it, and means the same.
func TestEncodeCopiesPrompt(t *testing.T) {
	const prompt = `"<b>Tom & Jerry</b>\n\u00e9\/\ud83d\ude42 \"quoted\""`
	body := `{"model":"client/model","messages":[{"role":"system","content":"be brief"},{"role":"user","content":` + prompt + `}],"max_tokens":64}`
	var chat openai.ChatRequest
	if err := openai.DecodeChatRequest([]byte(body), &chat); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"openai", "mistral", "openrouter", "vllm"} {
		a := newAdapter(t, slug, "http://upstream.invalid/v1", "k").(*Adapter)
		spliced, _, err := a.encode(&provider.Request{Chat: &chat, UpstreamModel: "m"}, false)
		if err != nil {
			t.Fatal(err)
		}
		up := spliced.Bytes()
		if !bytes.Contains(up, []byte(`"content":`+prompt+`}`)) {
			t.Errorf("%s: the prompt was not copied: %s", slug, up)
		}
		var sent struct{ Messages []openai.Message }
		if err := json.Unmarshal(up, &sent); err != nil {
			t.Fatalf("%s: %v: %s", slug, err, up)
		}
		if len(sent.Messages) != 2 || sent.Messages[1].Content.Text != chat.Messages[1].Content.Text ||
			!reflect.DeepEqual(sent.Messages[0].Content.Text, "be brief") {
			t.Errorf("%s: sent %+v", slug, sent.Messages)
		}
		if !strings.Contains(chat.Messages[1].Content.Text, "<b>Tom & Jerry</b>\né/🙂") {
			t.Fatalf("decoded %q", chat.Messages[1].Content.Text)
		}
	}
}

// TestEncodeAllocs pins what building an upstream body allocates
// (measured: 6 at either prompt size, and one copy of the prompt; the
// encoder of the whole request took 9 and three copies).
func TestEncodeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	a := newAdapter(t, "openai", "http://upstream.invalid/v1", "key").(*Adapter)
	for _, size := range []int{1 << 10, 100 << 10} {
		req := benchRequest(t, size)
		allocs := testing.AllocsPerRun(50, func() {
			if _, _, err := a.encode(req, false); err != nil {
				t.Fatal(err)
			}
		})
		const limit = 8
		if allocs > limit {
			t.Errorf("%d-byte prompt: %v allocations, want at most %d", size, allocs, limit)
		}
		const runs = 20
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			a.encode(req, false)
		}
		runtime.ReadMemStats(&after)
		// A short prompt is copied into the upstream body once; a long one
		// is spliced in where the client's request holds it.
		perOp := (after.TotalAlloc - before.TotalAlloc) / runs
		if size < openai.SpliceMin && perOp > uint64(size)*5/4+4096 {
			t.Errorf("%d-byte prompt: %d bytes allocated, want one copy of the prompt", size, perOp)
		}
		if size >= openai.SpliceMin && perOp > 4096 {
			t.Errorf("%d-byte prompt: %d bytes allocated, want the prompt spliced in, not copied", size, perOp)
		}
	}
}
