package anthropic

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"unsafe"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// longChat is a client's request with a long system prompt and a long
// user prompt (escapes, HTML characters and non-ASCII included), a short
// user message that mimics a placeholder, and the texts it decodes to.
func longChat(t *testing.T) (body []byte, chat *openai.ChatRequest, system, prompt string) {
	t.Helper()
	sysLit := strings.Repeat(`Answer in French. \"Quote\" <b>&amp;</b> caf\u00e9 `, 200)
	promptLit := strings.Repeat(`The ledger is append-only; settle once.\n`, 300)
	body = []byte(`{"model":"anthropic/claude-x","messages":[` +
		`{"role":"system","content":"` + sysLit + `"},` +
		`{"role":"user","content":"` + promptLit + `"},` +
		`{"role":"user","content":"\u0000AAAA0\u0000"}]}`)
	chat = &openai.ChatRequest{}
	if err := openai.DecodeChatRequest(body, chat); err != nil {
		t.Fatal(err)
	}
	if len(sysLit) < openai.SpliceMin || len(promptLit) < openai.SpliceMin {
		t.Fatal("the test's texts are too short to be spliced")
	}
	return body, chat, chat.Messages[0].Content.Text, chat.Messages[1].Content.Text
}

// TestSpliceLongTexts: long string content, system and user alike, goes
// upstream as the client's literal, referred to in the client's body and
// not copied; the upstream reads the same request as without splicing,
// and a client's text shaped like a placeholder stays text.
func TestSpliceLongTexts(t *testing.T) {
	client, chat, system, prompt := longChat(t)
	a := newFake(t, jsonAnswer(200, textReply))
	p := a.provider(t).(*Adapter)

	body, _, _, err := p.encode(context.Background(), &provider.Request{Chat: chat, UpstreamModel: "claude-x"}, false)
	if err != nil {
		t.Fatal(err)
	}
	within := func(piece []byte) bool {
		start := uintptr(unsafe.Pointer(unsafe.SliceData(client)))
		at := uintptr(unsafe.Pointer(unsafe.SliceData(piece)))
		return len(piece) > 0 && at >= start && at+uintptr(len(piece)) <= start+uintptr(len(client))
	}
	var referred int
	for _, piece := range body {
		if within(piece) {
			referred++
		}
	}
	if len(body) != 5 || referred != 2 {
		t.Errorf("%d pieces, %d of them in the client's body; want 5 and 2 (the two long literals)", len(body), referred)
	}

	want := map[string]any{
		"model": "claude-x", "max_tokens": float64(DefaultMaxTokens),
		"system": []any{map[string]any{"type": "text", "text": system}},
		"messages": []any{map[string]any{"role": "user", "content": []any{
			map[string]any{"type": "text", "text": prompt},
			map[string]any{"type": "text", "text": "\x00AAAA0\x00"},
		}}},
	}
	wantJSON, _ := json.Marshal(want)
	if g, w := canon(t, body.Bytes()), canon(t, wantJSON); g != w {
		t.Fatalf("encoded:\n%.400s\nwant:\n%.400s", g, w)
	}

	// Sent: the upstream gets the whole body, with its length announced.
	if _, err := p.Chat(context.Background(), &provider.Request{Chat: chat, UpstreamModel: "claude-x"}); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(a.request(t))
	if g, w := canon(t, got), canon(t, wantJSON); g != w {
		t.Errorf("the upstream read:\n%.400s\nwant:\n%.400s", g, w)
	}
}

// TestSpliceSigned: Bedrock's SigV4 signs the spliced body whole.
func TestSpliceSigned(t *testing.T) {
	_, chat, _, prompt := longChat(t)
	f, _ := hostFake(t, jsonAnswer(200, textReply))
	p := bedrockProvider(t, f)
	req := &provider.Request{Chat: chat, UpstreamModel: "anthropic.claude-x-v1:0"}
	if _, err := p.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	sum := sha256.Sum256(f.body)
	signed := f.header.Get("X-Amz-Content-Sha256")
	f.mu.Unlock()
	if signed != hex.EncodeToString(sum[:]) {
		t.Errorf("X-Amz-Content-Sha256 %s is not the body's (%x)", signed, sum)
	}
	msgs, _ := f.request(t)["messages"].([]any)
	first, _ := msgs[0].(map[string]any)["content"].([]any)
	if text, _ := first[0].(map[string]any)["text"].(string); text != prompt {
		t.Errorf("the signed body's prompt is %d bytes, want the client's %d", len(text), len(prompt))
	}
}
