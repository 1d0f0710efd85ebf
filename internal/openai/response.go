package openai

import (
	"encoding/json"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// Object names used on the wire.
const (
	ObjectChatCompletion      = "chat.completion"
	ObjectChatCompletionChunk = "chat.completion.chunk"
	ObjectTextCompletion      = "text_completion"
)

// Finish reasons normalised to OpenAI's enum, plus OpenRouter's "error".
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
	FinishError         = "error"
)

// ChatResponse is a non-streamed chat completion.
type ChatResponse struct {
	ID                string   `json:"id"`
	Object            string   `json:"object"`
	Created           int64    `json:"created"`
	Model             string   `json:"model"`
	Provider          string   `json:"provider,omitempty"`
	SystemFingerprint string   `json:"system_fingerprint,omitempty"`
	ServiceTier       string   `json:"service_tier,omitempty"`
	Choices           []Choice `json:"choices"`
	Usage             *Usage   `json:"usage,omitempty"`
	// SwitchyardRouting is the routing decision, for a request that sent
	// "X-Switchyard-Routing: explain".
	SwitchyardRouting any `json:"switchyard_routing,omitempty"`
}

// Choice is one choice of a non-streamed response.
type Choice struct {
	Index              int             `json:"index"`
	Message            ResponseMessage `json:"message"`
	FinishReason       *string         `json:"finish_reason"`
	NativeFinishReason *string         `json:"native_finish_reason"`
	Logprobs           json.RawMessage `json:"logprobs"`
}

// ResponseMessage is the assistant message of a choice. Content and Refusal
// are always present (null when empty), as the OpenAI schema requires.
type ResponseMessage struct {
	Role             string          `json:"role"`
	Content          *string         `json:"content"`
	Refusal          *string         `json:"refusal"`
	ToolCalls        []ToolCall      `json:"tool_calls,omitempty"`
	Reasoning        *string         `json:"reasoning,omitempty"`
	ReasoningDetails json.RawMessage `json:"reasoning_details,omitempty"`
	Annotations      json.RawMessage `json:"annotations,omitempty"`
}

// Usage is token usage plus OpenRouter's cost. Cost is set by the gateway,
// never taken from an upstream.
type Usage struct {
	PromptTokens            int                      `json:"prompt_tokens"`
	CompletionTokens        int                      `json:"completion_tokens"`
	TotalTokens             int                      `json:"total_tokens"`
	PromptTokensDetails     *PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
	// Cost is what the account was charged, in USD (exact decimal digits).
	Cost   *money.Amount `json:"cost,omitempty"`
	IsBYOK bool          `json:"is_byok"`
}

// PromptTokensDetails breaks down prompt tokens.
type PromptTokensDetails struct {
	CachedTokens     int `json:"cached_tokens"`
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
	AudioTokens      int `json:"audio_tokens,omitempty"`
}

// CompletionTokensDetails breaks down completion tokens.
type CompletionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
	AudioTokens     int `json:"audio_tokens,omitempty"`
	ImageTokens     int `json:"image_tokens,omitempty"`
}

// CachedTokens returns prompt_tokens_details.cached_tokens or 0.
func (u *Usage) CachedTokens() int {
	if u == nil || u.PromptTokensDetails == nil {
		return 0
	}
	return u.PromptTokensDetails.CachedTokens
}

// CacheWriteTokens returns prompt_tokens_details.cache_write_tokens or 0.
func (u *Usage) CacheWriteTokens() int {
	if u == nil || u.PromptTokensDetails == nil {
		return 0
	}
	return u.PromptTokensDetails.CacheWriteTokens
}

// ReasoningTokens returns completion_tokens_details.reasoning_tokens or 0.
func (u *Usage) ReasoningTokens() int {
	if u == nil || u.CompletionTokensDetails == nil {
		return 0
	}
	return u.CompletionTokensDetails.ReasoningTokens
}

// Chunk is one streamed chat.completion.chunk. Error is set only on the
// final chunk of a stream that failed after its first byte.
type Chunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	Provider          string        `json:"provider,omitempty"`
	SystemFingerprint string        `json:"system_fingerprint,omitempty"`
	ServiceTier       string        `json:"service_tier,omitempty"`
	Choices           []ChunkChoice `json:"choices"`
	Usage             *Usage        `json:"usage,omitempty"`
	Error             *ErrorBody    `json:"error,omitempty"`
	// SwitchyardRouting is the routing decision, on the final chunk of a
	// request that sent "X-Switchyard-Routing: explain".
	SwitchyardRouting any `json:"switchyard_routing,omitempty"`
}

// ChunkChoice is one choice of a chunk.
type ChunkChoice struct {
	Index              int             `json:"index"`
	Delta              Delta           `json:"delta"`
	FinishReason       *string         `json:"finish_reason"`
	NativeFinishReason *string         `json:"native_finish_reason"`
	Logprobs           json.RawMessage `json:"logprobs,omitempty"`
}

// Delta is the incremental message of a chunk choice.
type Delta struct {
	Role             string          `json:"role,omitempty"`
	Content          *string         `json:"content,omitempty"`
	Refusal          *string         `json:"refusal,omitempty"`
	ToolCalls        []ToolCall      `json:"tool_calls,omitempty"`
	Reasoning        *string         `json:"reasoning,omitempty"`
	ReasoningDetails json.RawMessage `json:"reasoning_details,omitempty"`
}

// CompletionResponse is a legacy text completion (also each streamed chunk).
type CompletionResponse struct {
	ID       string             `json:"id"`
	Object   string             `json:"object"`
	Created  int64              `json:"created"`
	Model    string             `json:"model"`
	Provider string             `json:"provider,omitempty"`
	Choices  []CompletionChoice `json:"choices"`
	Usage    *Usage             `json:"usage,omitempty"`
	Error    *ErrorBody         `json:"error,omitempty"`
}

// CompletionChoice is one choice of a text completion.
type CompletionChoice struct {
	Index              int             `json:"index"`
	Text               string          `json:"text"`
	FinishReason       *string         `json:"finish_reason"`
	NativeFinishReason *string         `json:"native_finish_reason"`
	Logprobs           json.RawMessage `json:"logprobs"`
}

// ErrorEnvelope is OpenRouter's error body: {"error":{code,message,metadata}}.
type ErrorEnvelope struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the error object. Code is the HTTP status.
type ErrorBody struct {
	Code     int            `json:"code"`
	Message  string         `json:"message"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Ptr returns a pointer to v, for the many optional fields above.
func Ptr[T any](v T) *T { return &v }
