package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// TestEveryRequestLeavesARecord: a request refused or failed before any
// upstream served it still has a generation record under the
// X-Generation-Id it was given — its status, its error, the endpoints
// tried — and is charged nothing. Only a caller who could not be
// authenticated (there is no account to record it under) leaves none.
func TestEveryRequestLeavesARecord(t *testing.T) {
	failing := providertest.NewOpenAI(t, providertest.WithStatus(http.StatusServiceUnavailable, ""))
	broken := providertest.NewOpenAI(t, providertest.WithStatus(http.StatusInternalServerError, ""))
	e := newEnv(t, envOptions{upstreams: []upstream{
		{slug: "a", fake: failing, prompt: "0.000001"},
		{slug: "b", fake: broken, prompt: "0.000002"},
	}})
	poor, _ := e.newKey(1) // one nano-dollar: not even the prompt

	tests := []struct {
		name, body, key string
		status          int
		model           string
		attempts        []string // providers tried, in order
		streamed        bool
	}{
		{"broken JSON", `{"model":`, e.key, http.StatusBadRequest, "", nil, false},
		{"unknown model", `{"model":"nobody/nothing","messages":[{"role":"user","content":"Hi"}]}`, e.key,
			http.StatusBadRequest, "nobody/nothing", nil, false},
		{"insufficient credits", chatBody, poor, http.StatusPaymentRequired, modelA, nil, false},
		// The last upstream's status (502 for its 500, 503): 0 here.
		{"every upstream fails", chatBody, e.key, 0, modelA, []string{"a", "b"}, false},
		{"every upstream fails, streamed", streamBody(modelA), e.key, 0, modelA, []string{"a", "b"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(http.MethodPost, "/api/v1/chat/completions", tc.body, tc.key)
			if tc.status == 0 {
				if resp.StatusCode < 500 {
					t.Fatalf("status %d, want a 5xx", resp.StatusCode)
				}
				tc.status = resp.StatusCode
			}
			env := errorEnvelope(t, resp, tc.status)
			id := resp.Header.Get("X-Generation-Id")
			g := e.generation(id)
			if g.Status != tc.status || g.Error != env["message"] || g.Cost != 0 || g.FinishReason != "error" {
				t.Errorf("record: status %d, error %q, cost %s, finish %q; want %d, %q, 0, error",
					g.Status, g.Error, g.Cost, g.FinishReason, tc.status, env["message"])
			}
			if g.Model != tc.model || g.Streamed != tc.streamed {
				t.Errorf("record: model %q streamed %v, want %q %v", g.Model, g.Streamed, tc.model, tc.streamed)
			}
			var tried []string
			for _, pr := range g.ProviderResponses {
				tried = append(tried, pr.Provider)
				if pr.Status == 0 || pr.Error == "" {
					t.Errorf("attempt %+v: want its status and error", pr)
				}
			}
			// The order (health-aware) and the retry rounds are the
			// router's; every provider is there.
			for _, p := range tc.attempts {
				if !slices.Contains(tried, p) {
					t.Errorf("attempts %v, want %s among them", tried, p)
				}
			}
			if len(tc.attempts) == 0 && len(tried) != 0 {
				t.Errorf("attempts %v, want none", tried)
			}
		})
	}
	if got := e.balance(); got != e.account.Balance {
		t.Errorf("balance %s, want %s: failures are free", got, e.account.Balance)
	}

	// The API shows the record like any other.
	resp := e.do(http.MethodPost, "/api/v1/chat/completions", chatBody, poor)
	id := resp.Header.Get("X-Generation-Id")
	e.generation(id)
	resp = e.do(http.MethodGet, "/api/v1/generation?id="+id, "", poor)
	data := decodeMap(t, readAll(t, resp.Body))["data"].(map[string]any)
	if fmt.Sprint(data["status"]) != "402" || !strings.Contains(fmt.Sprint(data["error"]), "insufficient credits") ||
		fmt.Sprint(data["total_cost"]) != "0" || data["finish_reason"] != "error" {
		t.Errorf("GET /generation: %v", data)
	}

	resp = e.do(http.MethodPost, "/api/v1/chat/completions", chatBody, "sk-sy-v1-wrong")
	errorEnvelope(t, resp, http.StatusUnauthorized)
	if err := e.api.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Generation(context.Background(), resp.Header.Get("X-Generation-Id")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unauthenticated request was recorded: %v", err)
	}
}

// TestInBandErrorRecorded: a stream that fails after its first byte is
// recorded as served, with status 200 (what the client got), finish
// reason error, and the in-band error's message.
func TestInBandErrorRecorded(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithMidStreamError(2, ""))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "p", fake: fake, prompt: "0.000001"}}})
	resp := e.post("/api/v1/chat/completions", streamBody(modelA))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	readAll(t, resp.Body)
	g := e.generation(resp.Header.Get("X-Generation-Id"))
	if g.Status != http.StatusOK || g.FinishReason != "error" || g.Error == "" || g.ProviderSlug != "p" {
		t.Errorf("record: status %d, finish %q, error %q, provider %q; want 200, error, the message, p",
			g.Status, g.FinishReason, g.Error, g.ProviderSlug)
	}
}

// TestListGenerations: GET /generations lists the account's latest
// generations, served and failed, newest first, with their attempts; a
// management key only.
func TestListGenerations(t *testing.T) {
	e, admin := newKeysEnv(t, envOptions{})
	ok := e.post("/api/v1/chat/completions", chatBody)
	readAll(t, ok.Body)
	bad := e.post("/api/v1/chat/completions", `{"model":"nobody/nothing","messages":[{"role":"user","content":"Hi"}]}`)
	readAll(t, bad.Body)
	errorEnvelope(t, e.do(http.MethodGet, "/api/v1/generations", "", e.key), http.StatusForbidden)
	errorEnvelope(t, e.do(http.MethodGet, "/api/v1/generations?limit=0", "", admin), http.StatusBadRequest)
	resp := e.do(http.MethodGet, "/api/v1/generations?limit=10", "", admin)
	data := decodeMap(t, readAll(t, resp.Body))["data"].([]any)
	if len(data) != 2 {
		t.Fatalf("%d generations, want 2: %v", len(data), data)
	}
	ids := []string{data[0].(map[string]any)["id"].(string), data[1].(map[string]any)["id"].(string)}
	want := []string{bad.Header.Get("X-Generation-Id"), ok.Header.Get("X-Generation-Id")}
	if !slices.Equal(ids, want) && !slices.Equal(ids, []string{want[1], want[0]}) { // same millisecond: by id
		t.Errorf("ids %v, want %v", ids, want)
	}
	for _, d := range data {
		d := d.(map[string]any)
		if d["id"] == want[1] && (fmt.Sprint(d["status"]) != "200" || len(d["provider_responses"].([]any)) != 1) {
			t.Errorf("served generation %v", d)
		}
	}
}
