package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/store/storeopen"
	"github.com/switchyard-dev/switchyard/internal/syncbuf"
)

// protocolCase is one protocol declared in a config file, served by a
// replay fake with the fixtures of its adapter's conformance suite.
type protocolCase struct {
	protocol string
	fixtures string // the adapter package whose testdata/conformance replies are used
	suffix   string // appended to the fake's URL to make the base_url
	upstream string // upstream model id
	fake     *providertest.Replay
}

// TestSDKThroughEveryProtocol declares one provider of every protocol in
// the config file, each pointed at a fake of its upstream, and runs the
// official OpenAI Go SDK through the gateway to each: a completion, a
// stream and a tool call, each native answer translated back into what the
// SDK expects.
func TestSDKThroughEveryProtocol(t *testing.T) {
	cases := []*protocolCase{
		{protocol: "openai", fixtures: "openaicompat", suffix: "/v1", upstream: "gpt-test"},
		{protocol: "azure", fixtures: "openaicompat", suffix: "?api-version=2024-10-21", upstream: "my-gpt-deployment"},
		{protocol: "anthropic", fixtures: "anthropic", suffix: "/v1", upstream: "claude-test"},
		{protocol: "gemini", fixtures: "gemini", suffix: "/v1beta", upstream: "gemini-2.5-flash"},
		{protocol: "vertex", fixtures: "gemini", suffix: "/v1/projects/test-project/locations/us-central1", upstream: "gemini-2.5-flash"},
		{protocol: "bedrock", fixtures: "bedrock", upstream: "anthropic.claude-sonnet-4-20250514-v1:0"},
		{protocol: "cohere", fixtures: "cohere", suffix: "/v2", upstream: "command-a-test"},
		{protocol: "ollama", fixtures: "ollama", upstream: "llama3.2:test"},
	}
	dir := t.TempDir()
	saKey := serviceAccountKey(t, dir)

	var yaml strings.Builder
	yaml.WriteString("providers:\n")
	for _, c := range cases {
		c.fake = providertest.NewReplay(t)
		key := "test-key"
		if c.protocol == "vertex" {
			key = saKey // a path to the service-account JSON, as GOOGLE_APPLICATION_CREDENTIALS is
		}
		yaml.WriteString(`  - slug: sdk-` + c.protocol + `
    name: SDK ` + c.protocol + `
    protocol: ` + c.protocol + `
    base_url: "` + c.fake.URL + c.suffix + `"
    api_key: "` + key + `"
    endpoints:
      - model: sdk/` + c.protocol + `
        upstream_model: "` + c.upstream + `"
        pricing: { prompt: "0.000001", completion: "0.000002" }
        context_length: 32768
`)
	}
	cfgFile := filepath.Join(dir, "switchyard.yaml")
	if err := os.WriteFile(cfgFile, []byte(yaml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgFile, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr, cfg.DB = "127.0.0.1:0", filepath.Join(dir, "sy.db")
	base, key, _ := runApp(t, cfg, func(string) string { return "" })

	client := sdk.NewClient(option.WithBaseURL(base), option.WithAPIKey(key), option.WithMaxRetries(0),
		option.WithRequestTimeout(30*time.Second))
	weather := sdk.ChatCompletionFunctionTool(sdk.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: sdk.String("Current weather in a city"),
		Parameters: sdk.FunctionParameters{
			"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"},
		},
	})
	for _, c := range cases {
		t.Run(c.protocol, func(t *testing.T) {
			ctx := t.Context()
			params := sdk.ChatCompletionNewParams{
				Model:    "sdk/" + c.protocol,
				Messages: []sdk.ChatCompletionMessageParamUnion{sdk.SystemMessage("You are terse."), sdk.UserMessage("Say hello.")},
			}

			c.script(t, "text")
			resp, err := client.Chat.Completions.New(ctx, params)
			if err != nil {
				t.Fatalf("completion: %v", err)
			}
			if got := resp.Choices[0].Message.Content; got != providertest.ConfText || resp.Choices[0].FinishReason != "stop" {
				t.Fatalf("completion %q finish %q", got, resp.Choices[0].FinishReason)
			}
			if resp.Usage.PromptTokens != 12 || resp.Usage.CompletionTokens != 6 {
				t.Errorf("usage %s", resp.Usage.RawJSON())
			}

			c.script(t, "text_stream")
			acc := streamAll(t, client.Chat.Completions.NewStreaming(ctx, params))
			if got := acc.Choices[0].Message.Content; got != providertest.ConfText {
				t.Fatalf("stream content %q", got)
			}
			if acc.Usage.PromptTokens != 12 || acc.Usage.CompletionTokens != 6 {
				t.Errorf("stream usage %+v", acc.Usage)
			}

			tools := params
			tools.Messages = []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("What is the weather in Paris?")}
			tools.Tools = []sdk.ChatCompletionToolUnionParam{weather}
			c.script(t, "tool_call")
			resp, err = client.Chat.Completions.New(ctx, tools)
			if err != nil {
				t.Fatalf("tool call: %v", err)
			}
			checkCall(t, resp.Choices[0].FinishReason, resp.Choices[0].Message.ToolCalls)

			c.script(t, "tool_call_stream")
			acc = streamAll(t, client.Chat.Completions.NewStreaming(ctx, tools))
			checkCall(t, acc.Choices[0].FinishReason, acc.Choices[0].Message.ToolCalls)

			reqs := c.fake.Requests()
			if len(reqs) != 4 {
				t.Fatalf("the upstream saw %d requests, want 4", len(reqs))
			}
			if c.protocol == "vertex" && reqs[0].Header.Get("Authorization") != "Bearer ya29.test" {
				t.Errorf("vertex request not authenticated with the exchanged token: %q", reqs[0].Header.Get("Authorization"))
			}
		})
	}
}

// script queues the conformance fixture name of the case's adapter.
func (c *protocolCase) script(t *testing.T, name string) {
	t.Helper()
	replies, err := providertest.LoadReplies(filepath.Join("..", "provider", c.fixtures, "testdata", "conformance", name+".reply.json"))
	if err != nil {
		t.Fatal(err)
	}
	c.fake.Script(replies...)
}

func streamAll(t *testing.T, s interface {
	Next() bool
	Current() sdk.ChatCompletionChunk
	Err() error
	Close() error
}) sdk.ChatCompletionAccumulator {
	t.Helper()
	defer s.Close()
	var acc sdk.ChatCompletionAccumulator
	for s.Next() {
		if !acc.AddChunk(s.Current()) {
			t.Fatalf("chunk does not accumulate: %s", s.Current().RawJSON())
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if len(acc.Choices) != 1 {
		t.Fatalf("%d choices", len(acc.Choices))
	}
	return acc
}

func checkCall(t *testing.T, finish string, calls []sdk.ChatCompletionMessageToolCallUnion) {
	t.Helper()
	if finish != "tool_calls" || len(calls) != 1 {
		t.Fatalf("finish %q, %d tool calls", finish, len(calls))
	}
	var args map[string]string
	if err := json.Unmarshal([]byte(calls[0].Function.Arguments), &args); err != nil || args["city"] != "Paris" ||
		calls[0].Function.Name != "get_weather" || calls[0].ID == "" {
		t.Fatalf("tool call %+v (%v)", calls[0], err)
	}
}

// runApp starts the app with cfg, getenv and a funded key, and returns its
// OpenAI-compatible base URL, the key and what it prints. The app stops
// with the test.
func runApp(t *testing.T, cfg config.Config, getenv func(string) string) (base, key string, stdout *syncbuf.Buffer) {
	t.Helper()
	st, err := storeopen.Open(context.Background(), cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	k, _, err := CreateKey(context.Background(), st, KeyRequest{Name: "t", Credits: 5 * money.NanoPerUSD})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc, done := make(chan string, 1), make(chan error, 1)
	stdout = new(syncbuf.Buffer)
	go func() {
		done <- Run(ctx, cfg, Env{Stdout: stdout, Logger: slog.New(slog.DiscardHandler),
			Getenv: getenv, Ready: func(a string) { addrc <- a }})
	}()
	select {
	case addr := <-addrc:
		base = "http://" + addr + "/api/v1"
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return base, k.Reveal(), stdout
}

// serviceAccountKey writes a service-account key whose token endpoint is
// a local fake, and returns its path.
func serviceAccountKey(t *testing.T, dir string) string {
	t.Helper()
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"ya29.test","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(tokens.Close)
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	key, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "test-project", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "gw@test-project.iam.gserviceaccount.com", "token_uri": tokens.URL,
	})
	path := filepath.Join(dir, "service-account.json")
	if err := os.WriteFile(path, key, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestREADMEProtocolsExample starts the app with the README's example of
// every protocol: each provider it declares must be routable.
func TestREADMEProtocolsExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Upstream protocols.*?```yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no yaml block under ## Upstream protocols")
	}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "switchyard.yaml")
	if err := os.WriteFile(cfgFile, m[1], 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"OPENAI_API_KEY": "sk-test", "AZURE_OPENAI_API_KEY": "az-test", "ANTHROPIC_API_KEY": "sk-ant-test",
		"AWS_BEARER_TOKEN_BEDROCK": "ABSK-test", "GEMINI_API_KEY": "AIza-test", "COHERE_API_KEY": "co-test",
		"GOOGLE_APPLICATION_CREDENTIALS": serviceAccountKey(t, dir),
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(cfgFile, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Addr, cfg.DB = "127.0.0.1:0", filepath.Join(dir, "sy.db")
	base, _, _ := runApp(t, cfg, getenv)

	resp, err := http.Get(base + "/providers")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var provs struct{ Data []map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&provs); err != nil {
		t.Fatal(err)
	}
	routable := map[string]bool{}
	for _, p := range provs.Data {
		routable[p["slug"].(string)] = p["routable"] == true
	}
	for _, p := range cfg.Providers {
		if !routable[p.Slug] {
			t.Errorf("README provider %s (%s) is not routable", p.Slug, p.Protocol)
		}
	}
}
