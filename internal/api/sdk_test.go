package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestOpenAIGoSDK points the official OpenAI Go SDK at the gateway, under
// both base paths, and checks what an SDK user sees: content, usage with
// Switchyard's cost, streamed deltas with the final usage chunk, fallbacks
// sent through extra body fields, and typed errors.
func TestOpenAIGoSDK(t *testing.T) {
	a := providertest.NewOpenAI(t, providertest.WithStatus(503, `{"error":{"message":"alpha is busy"}}`))
	b := providertest.NewOpenAI(t, providertest.WithReply("Hello from the SDK test"))
	e := newEnv(t, envOptions{upstreams: []upstream{
		{slug: "alpha", fake: a, prompt: "0.000001"},
		{slug: "beta", fake: b, prompt: "0.000002"},
	}})
	ctx := context.Background()

	for _, base := range []string{"/api/v1", "/v1"} {
		t.Run(strings.TrimPrefix(base, "/"), func(t *testing.T) {
			client := sdk.NewClient(option.WithBaseURL(e.srv.URL+base), option.WithAPIKey(e.key), option.WithMaxRetries(0))
			params := sdk.ChatCompletionNewParams{
				Model:    modelA,
				Messages: []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("Hello")},
			}

			resp, err := client.Chat.Completions.New(ctx, params)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Choices[0].Message.Content != "Hello from the SDK test" || resp.Model != modelA ||
				!strings.HasPrefix(resp.ID, "gen-") || resp.Usage.PromptTokens == 0 {
				t.Fatalf("response %s", resp.RawJSON())
			}
			if cost := resp.Usage.JSON.ExtraFields["cost"].Raw(); cost == "" || cost == "0" {
				t.Fatalf("usage.cost %q in %s", cost, resp.Usage.RawJSON())
			}
			if got := resp.JSON.ExtraFields["provider"].Raw(); got != `"Provider BETA"` {
				t.Fatalf("provider %s", got)
			}

			stream := client.Chat.Completions.NewStreaming(ctx, params)
			var acc sdk.ChatCompletionAccumulator
			usageChunks := 0
			for stream.Next() {
				chunk := stream.Current()
				acc.AddChunk(chunk)
				if len(chunk.Choices) == 0 && chunk.Usage.TotalTokens > 0 {
					usageChunks++
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if acc.Choices[0].Message.Content != "Hello from the SDK test" || usageChunks != 1 {
				t.Fatalf("streamed %q with %d usage chunks", acc.Choices[0].Message.Content, usageChunks)
			}

			// models[] goes through the SDK's extra-body option.
			fb, err := client.Chat.Completions.New(ctx, sdk.ChatCompletionNewParams{
				Model:    "nope/missing-too",
				Messages: []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("Hello")},
			}, option.WithJSONSet("model", modelB), option.WithJSONSet("models", []string{modelA}))
			if err != nil || fb.Model != modelB {
				t.Fatalf("fallback: %v %v", fb, err)
			}

			// Errors arrive as the SDK's typed error with our status and message.
			_, err = client.Chat.Completions.New(ctx, sdk.ChatCompletionNewParams{
				Model:    "nope/missing",
				Messages: []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("Hello")},
			})
			var apiErr *sdk.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest ||
				!strings.Contains(apiErr.RawJSON(), "nope/missing is not a valid model ID") {
				t.Fatalf("error %v", err)
			}
		})
	}
}
