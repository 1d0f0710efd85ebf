// Package simulatetest is a fake Switchyard gateway for the tests of the
// traffic simulator and of its command. It serves a model list in
// OpenRouter's shape (with Switchyard's "switchyard" object) and chat
// completions, JSON and SSE, with usage and an exact usage.cost; it answers
// with the statuses a test asks for, and records every request it gets and
// what it answered.
package simulatetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/sse"
)

// Model is a model the gateway lists and serves.
type Model struct {
	ID string
	// Prompt and Completion are prices in USD per token, e.g. "0.00000015".
	Prompt, Completion string
	// Routable and Simulated fill the "switchyard" object; Plain leaves
	// it out, as a gateway other than Switchyard would.
	Routable  bool
	Simulated bool
	Plain     bool
	// Providers are the routable provider slugs.
	Providers []string
}

// Answer is how the gateway answers one chat request.
type Answer struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// InBand fails a 200 stream after its first chunk with an in-band
	// error chunk (with usage) and no [DONE].
	InBand bool
	// Hang waits, after the status of a 200, until the client goes away.
	Hang bool
}

// Config configures a Gateway.
type Config struct {
	Key    string
	Models []Model
	// Answer decides the answer to the n-th chat request (from 1). Nil
	// answers 200 to all. It is called with the gateway's lock held.
	Answer func(n int) Answer
}

// Request is a chat request the gateway got, and what it answered.
type Request struct {
	Header http.Header
	Body   openai.ChatRequest
	// Prompt is the text of the last user message.
	Prompt string
	Answer Answer
	Status int
	// Usage and Cost are what the response reported (zero for errors).
	PromptTokens, CompletionTokens int
	Cost                           money.Amount
}

// Gateway is a running fake gateway.
type Gateway struct {
	// URL is the gateway's root, e.g. http://127.0.0.1:12345; the API is
	// under /api/v1 and /v1.
	URL    string
	cfg    Config
	prices map[string][2]money.Rate
	srv    *httptest.Server

	mu       sync.Mutex
	requests []Request
}

// Start starts a gateway, closed when the test ends.
func Start(t testing.TB, cfg Config) *Gateway {
	g := &Gateway{cfg: cfg, prices: map[string][2]money.Rate{}}
	for _, m := range cfg.Models {
		g.prices[m.ID] = [2]money.Rate{money.MustRate(m.Prompt), money.MustRate(m.Completion)}
	}
	mux := http.NewServeMux()
	for _, base := range []string{"/api/v1", "/v1"} {
		mux.HandleFunc("GET "+base+"/models", g.models)
		mux.HandleFunc("POST "+base+"/chat/completions", g.chat)
	}
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	g.URL = g.srv.URL
	return g
}

// Close stops the gateway before the test ends.
func (g *Gateway) Close() { g.srv.Close() }

// Requests returns the chat requests received so far, in order.
func (g *Gateway) Requests() []Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Request(nil), g.requests...)
}

func (g *Gateway) models(w http.ResponseWriter, r *http.Request) {
	var data []map[string]any
	for _, m := range g.cfg.Models {
		e := map[string]any{
			"id": m.ID, "name": m.ID, "context_length": 8192,
			"architecture": map[string]any{"input_modalities": []string{"text"}, "output_modalities": []string{"text"}},
			"pricing":      map[string]any{"prompt": m.Prompt, "completion": m.Completion, "request": "0"},
		}
		if !m.Plain {
			sy := map[string]any{"routable": m.Routable, "routable_providers": m.Providers}
			if m.Simulated {
				sy["simulated_providers"] = m.Providers
			}
			e["switchyard"] = sy
		}
		data = append(data, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

func (g *Gateway) chat(w http.ResponseWriter, r *http.Request) {
	rec := Request{Header: r.Header.Clone()}
	status, msg := g.check(r, &rec)
	g.mu.Lock()
	n := len(g.requests) + 1
	if g.cfg.Answer != nil && status == http.StatusOK {
		rec.Answer = g.cfg.Answer(n)
		if rec.Answer.Status != 0 {
			status, msg = rec.Answer.Status, fmt.Sprintf("simulated status %d", rec.Answer.Status)
		}
	}
	rec.Status = status
	if status == http.StatusOK {
		rec.PromptTokens = len(strings.Fields(rec.Prompt))
		rec.CompletionTokens = 1 + *rec.Body.MaxTokens/2
		p := g.prices[rec.Body.Model]
		var c money.Cost
		c.Add(int64(rec.PromptTokens), p[0])
		c.Add(int64(rec.CompletionTokens), p[1])
		rec.Cost, _ = c.Amount()
	}
	g.requests = append(g.requests, rec)
	g.mu.Unlock()

	if status != http.StatusOK {
		writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg}})
		return
	}
	u := &openai.Usage{PromptTokens: rec.PromptTokens, CompletionTokens: rec.CompletionTokens,
		TotalTokens: rec.PromptTokens + rec.CompletionTokens, Cost: &rec.Cost}
	if rec.Body.Stream {
		g.stream(w, r, rec, u)
		return
	}
	if rec.Answer.Hang {
		<-r.Context().Done()
		return
	}
	text, stop := "Hello from the fake gateway.", openai.FinishStop
	writeJSON(w, http.StatusOK, openai.ChatResponse{
		ID: "gen-fake", Object: openai.ObjectChatCompletion, Model: rec.Body.Model, Provider: "fake",
		Choices: []openai.Choice{{Message: openai.ResponseMessage{Role: "assistant", Content: &text}, FinishReason: &stop}},
		Usage:   u,
	})
}

// check validates a chat request as the real gateway would, filling rec.
func (g *Gateway) check(r *http.Request, rec *Request) (int, string) {
	if r.Header.Get("Authorization") != "Bearer "+g.cfg.Key {
		return http.StatusUnauthorized, "invalid key"
	}
	if err := json.NewDecoder(r.Body).Decode(&rec.Body); err != nil {
		return http.StatusBadRequest, "bad JSON: " + err.Error()
	}
	b := &rec.Body
	for i := len(b.Messages) - 1; i >= 0; i-- {
		if b.Messages[i].Role == "user" {
			rec.Prompt = b.Messages[i].Content.PlainText()
			break
		}
	}
	switch {
	case rec.Prompt == "":
		return http.StatusBadRequest, "no user message"
	case b.MaxTokens == nil || *b.MaxTokens < 1:
		return http.StatusBadRequest, "max_tokens must be set and positive"
	}
	if _, ok := g.prices[b.Model]; !ok {
		return http.StatusBadRequest, "unknown model " + b.Model
	}
	return http.StatusOK, ""
}

// stream answers a 200 as SSE: a role chunk, a content chunk, then a
// usage chunk and [DONE], or an in-band error.
func (g *Gateway) stream(w http.ResponseWriter, r *http.Request, rec Request, u *openai.Usage) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	sw := sse.NewWriter(w)
	sw.Comment("SWITCHYARD PROCESSING")
	text, stop := "Hello", openai.FinishStop
	chunk := func(c openai.Chunk) {
		c.ID, c.Object, c.Model = "gen-fake", openai.ObjectChatCompletionChunk, rec.Body.Model
		b, _ := json.Marshal(c)
		sw.Data(b)
	}
	chunk(openai.Chunk{Choices: []openai.ChunkChoice{{Delta: openai.Delta{Role: "assistant", Content: &text}}}})
	sw.Flush()
	if rec.Answer.Hang {
		<-r.Context().Done()
		return
	}
	if rec.Answer.InBand {
		chunk(openai.Chunk{Choices: []openai.ChunkChoice{}, Usage: u,
			Error: &openai.ErrorBody{Code: 502, Message: "upstream failed mid-stream"}})
		return
	}
	chunk(openai.Chunk{Choices: []openai.ChunkChoice{{Delta: openai.Delta{}, FinishReason: &stop}}})
	chunk(openai.Chunk{Choices: []openai.ChunkChoice{}, Usage: u})
	sw.Data([]byte("[DONE]"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
