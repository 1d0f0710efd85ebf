package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai/openaitest"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

func TestModelsWithoutKey(t *testing.T) {
	fake := providertest.NewOpenAI(t)
	e := newEnv(t, envOptions{upstreams: []upstream{
		{slug: "alpha", fake: fake, prompt: "0.000003"},
		{slug: "offline", prompt: "0.000001"},
	}})
	for _, prefix := range []string{"/api/v1", "/v1"} {
		resp := e.do(http.MethodGet, prefix+"/models", "", "")
		var got struct {
			Data []struct {
				ID            string `json:"id"`
				CanonicalSlug string `json:"canonical_slug"`
				Pricing       struct {
					Prompt     string `json:"prompt"`
					Completion string `json:"completion"`
				} `json:"pricing"`
				Architecture struct {
					Modality string `json:"modality"`
				} `json:"architecture"`
				TopProvider struct {
					ContextLength int `json:"context_length"`
				} `json:"top_provider"`
				SupportedParameters []string `json:"supported_parameters"`
			} `json:"data"`
			TotalCount int `json:"total_count"`
		}
		if err := json.Unmarshal(readAll(t, resp.Body), &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: status %d %v", prefix, resp.StatusCode, err)
		}
		if got.TotalCount != 2 || got.Data[0].ID != modelA || got.Data[0].Architecture.Modality != "text->text" {
			t.Fatalf("%s: %+v", prefix, got)
		}
		// Prices are strings in USD per token, from the routable endpoint.
		if p := got.Data[0].Pricing; p.Prompt != "0.000003" || p.Completion != "0.000002" {
			t.Fatalf("%s: pricing %+v", prefix, p)
		}
	}
}

func TestModelsFilters(t *testing.T) {
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: providertest.NewOpenAI(t), prompt: "0.000001"}}})
	tests := []struct {
		query  string
		status int
		ids    []string
	}{
		{"", 200, []string{modelA, modelB}},
		{"?q=MODEL-B", 200, []string{modelB}},
		{"?supported_parameters=temperature,max_tokens", 200, []string{modelA, modelB}},
		{"?supported_parameters=tools", 200, nil},
		{"?output_modalities=image", 200, nil},
		{"?output_modalities=all", 200, []string{modelA, modelB}},
		{"?limit=1", 200, []string{modelA}},
		{"?offset=1&limit=1", 200, []string{modelB}},
		{"?offset=5", 200, nil},
		{"?limit=0", 400, nil},
		{"?limit=abc", 400, nil},
		{"?sort=pricing-high-to-low", 200, []string{modelA, modelB}},
		{"?sort=bogus", 400, nil},
		{"?max_price=0.5", 200, nil},
		{"?max_price=5", 200, []string{modelA, modelB}},
	}
	for _, tt := range tests {
		resp := e.do(http.MethodGet, "/api/v1/models"+tt.query, "", "")
		body := readAll(t, resp.Body)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d: %s", tt.query, resp.StatusCode, body)
			continue
		}
		if tt.status != 200 {
			continue
		}
		var got struct {
			Data  []struct{ ID string }
			Links struct{ Next *string }
		}
		json.Unmarshal(body, &got)
		var ids []string
		for _, m := range got.Data {
			ids = append(ids, m.ID)
		}
		if strings.Join(ids, ",") != strings.Join(tt.ids, ",") {
			t.Errorf("%s: got %v, want %v", tt.query, ids, tt.ids)
		}
		if tt.query == "?limit=1" && (got.Links.Next == nil || !strings.Contains(*got.Links.Next, "offset=1")) {
			t.Errorf("limit=1: links.next %v", got.Links.Next)
		}
	}
}

func TestModelEndpointsAndProviders(t *testing.T) {
	e := newEnv(t, envOptions{upstreams: []upstream{
		{slug: "alpha", fake: providertest.NewOpenAI(t), prompt: "0.000001"},
		{slug: "offline", prompt: "0.000001"},
	}})
	resp := e.do(http.MethodGet, "/api/v1/models/"+modelA+"/endpoints", "", "")
	var got struct {
		Data struct {
			ID        string
			Endpoints []map[string]any
		}
	}
	if err := json.Unmarshal(readAll(t, resp.Body), &got); err != nil || got.Data.ID != modelA || len(got.Data.Endpoints) != 2 {
		t.Fatalf("endpoints: %+v %v", got, err)
	}
	for _, ep := range got.Data.Endpoints {
		for _, k := range []string{"provider_name", "tag", "pricing", "context_length", "max_completion_tokens",
			"quantization", "supported_parameters", "uptime_last_30m", "latency_last_30m"} {
			if _, ok := ep[k]; !ok {
				t.Errorf("endpoint lacks %s: %v", k, ep)
			}
		}
	}
	if r := e.do(http.MethodGet, "/api/v1/models/no/such/endpoints", "", ""); r.StatusCode != 404 {
		t.Errorf("unknown model endpoints: %d", r.StatusCode)
	}

	resp = e.do(http.MethodGet, "/v1/providers", "", "")
	var provs struct{ Data []map[string]any }
	json.Unmarshal(readAll(t, resp.Body), &provs)
	if len(provs.Data) != 2 || provs.Data[0]["slug"] != "alpha" || provs.Data[0]["routable"] != true ||
		provs.Data[1]["routable"] != false {
		t.Fatalf("providers %v", provs.Data)
	}
}

func TestLegacyCompletions(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReply("once upon a time"))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})

	resp := e.post("/api/v1/completions", `{"model":"`+modelA+`","prompt":"Tell me a story","max_tokens":20,"logprobs":null}`)
	body := readAll(t, resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	openaitest.Validate(t, "CreateCompletionResponse", body)
	var got struct {
		Object  string
		Choices []struct{ Text string }
		Usage   struct{ Cost json.Number }
	}
	json.Unmarshal(body, &got)
	if got.Object != "text_completion" || got.Choices[0].Text != "once upon a time" || got.Usage.Cost == "" {
		t.Fatalf("response %s", body)
	}
	// The chat-only upstream received the prompt as one user message.
	var up struct {
		Messages []struct{ Role, Content string }
	}
	fake.Last().Decode(&up)
	if len(up.Messages) != 1 || up.Messages[0].Role != "user" || up.Messages[0].Content != "Tell me a story" {
		t.Fatalf("upstream messages %+v", up.Messages)
	}

	s := readStream(t, e.post("/v1/completions", `{"model":"`+modelA+`","prompt":["Tell me"],"stream":true}`).Body)
	var text strings.Builder
	for _, d := range s.data[:len(s.data)-1] {
		c := decodeMap(t, []byte(d))
		if c["object"] != "text_completion" {
			t.Fatalf("chunk %s", d)
		}
		for _, ch := range c["choices"].([]any) {
			text.WriteString(ch.(map[string]any)["text"].(string))
		}
	}
	if text.String() != "once upon a time" || s.data[len(s.data)-1] != "[DONE]" {
		t.Fatalf("streamed %q, %q", text.String(), s.data)
	}
}

func TestAttributionRecorded(t *testing.T) {
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: providertest.NewOpenAI(t), prompt: "0.000001"}}})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/chat/completions", strings.NewReader(chatBody))
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("HTTP-Referer", "https://app.example")
	req.Header.Set("X-OpenRouter-Title", "Example App")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	g := e.generation(resp.Header.Get("X-Generation-Id"))
	if g.HTTPReferer != "https://app.example" || g.AppTitle != "Example App" {
		t.Fatalf("attribution %q %q", g.HTTPReferer, g.AppTitle)
	}
	// GET /generation returns it to its owner, and to no one else.
	r := e.do(http.MethodGet, "/api/v1/generation?id="+g.ID, "", e.key)
	if body := readAll(t, r.Body); r.StatusCode != 200 || !strings.Contains(string(body), `"http_referer":"https://app.example"`) {
		t.Fatalf("generation: %d %s", r.StatusCode, body)
	}
	other, _ := e.newKey(1)
	if r := e.do(http.MethodGet, "/api/v1/generation?id="+g.ID, "", other); r.StatusCode != 404 {
		t.Fatalf("another account read the generation: %d", r.StatusCode)
	}
}
