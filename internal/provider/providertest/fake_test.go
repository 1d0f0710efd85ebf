package providertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/sse"
)

func post(t *testing.T, url, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestFakeScript(t *testing.T) {
	f := NewOpenAI(t, WithAPIKey("sk"), WithReply("fine"))
	f.Enqueue(WithStatus(http.StatusServiceUnavailable, ""), WithHeader("Retry-After", "2"))
	const body = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`

	resp, got := post(t, f.URL, body, "Authorization", "Bearer sk")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" || !strings.Contains(got, `"type":"server_error"`) {
		t.Errorf("enqueued answer: %d %q", resp.StatusCode, got)
	}
	resp, got = post(t, f.URL, body, "Authorization", "Bearer sk")
	var r openai.ChatResponse
	if err := json.Unmarshal([]byte(got), &r); err != nil || resp.StatusCode != 200 || *r.Choices[0].Message.Content != "fine" || r.Model != "m" {
		t.Errorf("default answer: %d %q", resp.StatusCode, got)
	}
	if resp, _ = post(t, f.URL, body); resp.StatusCode != 401 {
		t.Errorf("without the key: %d", resp.StatusCode)
	}
	if resp, got = post(t, f.URL, `{"model":"m","messages":[],"top_k":3}`, "Authorization", "Bearer sk"); resp.StatusCode != 400 ||
		!strings.Contains(got, "Unrecognized request argument supplied: top_k") {
		t.Errorf("unknown parameter: %d %q", resp.StatusCode, got)
	}

	reqs := f.Requests()
	if len(reqs) != 4 || reqs[0].Header.Get("Authorization") != "Bearer sk" || reqs[0].JSON["model"] != "m" {
		t.Fatalf("recorded %d requests", len(reqs))
	}
	var chat openai.ChatRequest
	if err := f.Last().Decode(&chat); err != nil || chat.TopK == nil || *chat.TopK != 3 {
		t.Errorf("Decode: %v %+v", err, chat)
	}
}

func TestStreamBodyShape(t *testing.T) {
	for _, d := range []Dialect{OpenAI, Mistral, DeepSeek, Groq, Together, VLLM, OpenRouter} {
		body := StreamBody(d, WithCRLF(), WithToolCalls(ToolCall{Name: "f", Arguments: `{"a":1}`}))
		r := sse.NewReader(bytes.NewReader(body))
		var events []string
		for {
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, string(ev.Data))
		}
		if events[len(events)-1] != "[DONE]" {
			t.Errorf("dialect %d: stream does not end with [DONE]", d)
		}
		var usage bool
		for _, ev := range events[:len(events)-1] {
			var c struct {
				Object, Model string
				Choices       []json.RawMessage
				Usage         json.RawMessage
			}
			if err := json.Unmarshal([]byte(ev), &c); err != nil || c.Object != "chat.completion.chunk" || c.Model != "fake-model" {
				t.Fatalf("dialect %d: chunk %s: %v", d, ev, err)
			}
			hasUsage := len(c.Usage) > 0 && string(c.Usage) != "null"
			usage = usage || hasUsage
			if hasUsage && c.Choices == nil {
				t.Errorf("dialect %d: usage chunk without choices: []", d)
			}
		}
		if !usage {
			t.Errorf("dialect %d: no usage", d)
		}
	}
}
