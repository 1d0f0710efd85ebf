package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestRoutingExplain: X-Switchyard-Routing: explain returns the decision —
// candidates, exclusions and attempts — in switchyard_routing, streamed
// (on the final chunk) and not.
func TestRoutingExplain(t *testing.T) {
	a := providertest.NewOpenAI(t, providertest.WithReply("from a"))
	b := providertest.NewOpenAI(t, providertest.WithReply("from b"))
	e := newEnv(t, envOptions{upstreams: []upstream{
		{slug: "alpha", fake: a, prompt: "0.000001"},
		{slug: "beta", fake: b, prompt: "0.000002"},
		{slug: "offline", prompt: "0.0000001"},
	}})
	explain := func(body string) map[string]any {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.key)
		req.Header.Set("X-Switchyard-Routing", "explain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp.Body))
		}
		if strings.Contains(body, `"stream":true`) {
			events := readStream(t, resp.Body)
			last := decodeMap(t, []byte(events.data[len(events.data)-2])) // before [DONE]
			routing, _ := last["switchyard_routing"].(map[string]any)
			return routing
		}
		routing, _ := decodeMap(t, readAll(t, resp.Body))["switchyard_routing"].(map[string]any)
		return routing
	}
	for _, body := range []string{chatBody, streamBody(modelA)} {
		routing := explain(body)
		if routing == nil {
			t.Fatalf("%s: no switchyard_routing", body)
		}
		cands, _ := routing["candidates"].([]any)
		excluded, _ := routing["excluded"].([]any)
		attempts, _ := routing["attempts"].([]any)
		if len(cands) != 2 || len(excluded) != 1 || len(attempts) != 1 || routing["strategy"] == "" {
			t.Fatalf("%s: routing %v", body, routing)
		}
		if x := excluded[0].(map[string]any); x["provider"] != "offline" || x["excluded_by"] != "unroutable" {
			t.Errorf("exclusion %v", x)
		}
	}
	// Without the header, nothing.
	resp := e.post("/api/v1/chat/completions", chatBody)
	defer resp.Body.Close()
	if got := decodeMap(t, readAll(t, resp.Body)); got["switchyard_routing"] != nil {
		t.Error("switchyard_routing without the header")
	}
}

// TestEndpointsShowLiveHealth: after traffic, the endpoints of a model show
// uptime, latency and throughput as OpenRouter's PublicEndpoint does.
func TestEndpointsShowLiveHealth(t *testing.T) {
	a := providertest.NewOpenAI(t, providertest.WithReply("hello there, from a"))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: a, prompt: "0.000001"}}})
	for range 3 {
		resp := e.post("/api/v1/chat/completions", chatBody)
		readAll(t, resp.Body)
		resp.Body.Close()
	}
	resp, err := http.Get(e.srv.URL + "/api/v1/models/" + modelA + "/endpoints")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data := decodeMap(t, readAll(t, resp.Body))["data"].(map[string]any)
	ep := data["endpoints"].([]any)[0].(map[string]any)
	num := func(v any) float64 {
		n, _ := v.(json.Number)
		f, _ := n.Float64()
		return f
	}
	if num(ep["uptime_last_5m"]) != 100 || num(ep["uptime_last_1d"]) != 100 {
		t.Errorf("uptime %v / %v", ep["uptime_last_5m"], ep["uptime_last_1d"])
	}
	lat, _ := ep["latency_last_30m"].(map[string]any)
	if lat == nil || num(lat["p50"]) <= 0 {
		t.Errorf("latency_last_30m %v", ep["latency_last_30m"])
	}
	h, _ := ep["health"].(map[string]any)
	if h == nil || h["breaker"] != "closed" || num(h["requests_last_5m"]) != 3 {
		t.Errorf("health %v", ep["health"])
	}
}
