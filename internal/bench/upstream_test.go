package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/anthropic"
	"github.com/switchyard-dev/switchyard/internal/provider/openaicompat"
)

// TestUpstreamThroughAdapters: the fake's answers are real enough for the
// gateway's own adapters, streamed and not, in both dialects, and a
// stream yields the chunks it was asked for.
func TestUpstreamThroughAdapters(t *testing.T) {
	srv := httptest.NewServer(NewUpstream(UpstreamOptions{Chunks: 7}))
	defer srv.Close()
	for _, tt := range []struct {
		name    string
		factory provider.Factory
	}{{"openai", openaicompat.New}, {"anthropic", anthropic.New}} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.factory(provider.Config{Slug: "bench", Name: "Bench", Protocol: tt.name, BaseURL: srv.URL + "/v1",
				APIKey: upstreamKey, HTTPClient: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			chat := &openai.ChatRequest{Model: "m", Messages: []openai.Message{{Role: "user", Content: openai.TextContent(prompt(100))}}}
			req := &provider.Request{Chat: chat, UpstreamModel: "bench-model"}
			resp, err := p.Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			want := concat(replyWords(5))
			if len(resp.Choices) != 1 || resp.Choices[0].Message.Content == nil || *resp.Choices[0].Message.Content != want {
				t.Fatalf("answer %+v, want the content %q", resp.Choices, want)
			}
			if u := resp.Usage; u == nil || u.PromptTokens != promptTokens || u.CompletionTokens != 5 {
				t.Fatalf("usage %+v", resp.Usage)
			}

			stream := *chat
			stream.Stream = true
			s, err := p.ChatStream(context.Background(), &provider.Request{Chat: &stream, UpstreamModel: "bench-model"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var text strings.Builder
			withChoices, usage := 0, 0
			for {
				c, err := s.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Choices) > 0 {
					withChoices++
					if d := c.Choices[0].Delta.Content; d != nil {
						text.WriteString(*d)
					}
				}
				if c.Usage != nil {
					usage++
				}
			}
			if withChoices != 7 || text.String() != want || usage != 1 {
				t.Errorf("stream: %d chunks with choices (want 7), text %q, %d with usage", withChoices, text.String(), usage)
			}
		})
	}
}

// TestUpstreamIdle: the idle model's stream sends one chunk, then nothing
// until the client leaves.
func TestUpstreamIdle(t *testing.T) {
	srv := httptest.NewServer(NewUpstream(UpstreamOptions{}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions",
		bytes.NewReader(ChatBody(ModelIdle, true, 10)))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := firstChunk(resp.Body); err != nil {
		t.Fatal(err)
	}
	more := make(chan error, 1)
	go func() {
		_, err := resp.Body.Read(make([]byte, 100))
		more <- err
	}()
	select {
	case err := <-more:
		t.Fatalf("the idle stream went on (%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	if err := <-more; err == nil {
		t.Fatal("read succeeded after the client left")
	}
}

func TestUpstreamRejects(t *testing.T) {
	srv := httptest.NewServer(NewUpstream(UpstreamOptions{}))
	defer srv.Close()
	for _, tt := range []struct {
		method, path string
		want         int
	}{{http.MethodGet, "/v1/chat/completions", 405}, {http.MethodPost, "/v1/embeddings", 404}} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader("{}"))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}

// TestRenderedBodiesAreJSON: every rendered payload is valid JSON.
func TestRenderedBodiesAreJSON(t *testing.T) {
	u := NewUpstream(UpstreamOptions{})
	payloads := [][]byte{u.openaiJSON, u.anthropicJSON}
	for _, evs := range [][][]byte{u.openaiStream, u.anthropicStream} {
		for _, ev := range evs {
			for line := range strings.Lines(string(ev)) {
				if data, ok := strings.CutPrefix(line, "data: "); ok && strings.TrimSpace(data) != "[DONE]" {
					payloads = append(payloads, []byte(data))
				}
			}
		}
	}
	for _, p := range payloads {
		if !json.Valid(p) {
			t.Errorf("invalid JSON: %s", p)
		}
	}
	if n := len(u.openaiStream); n != 22 { // 20 chunks, usage, [DONE]
		t.Errorf("%d OpenAI events, want 22", n)
	}
}
