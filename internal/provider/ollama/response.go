package ollama

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// chatResponse is a non-streamed answer or one NDJSON line of a stream.
type chatResponse struct {
	Model     string `json:"model"`
	CreatedAt string `json:"created_at"`
	Message   struct {
		Role      string     `json:"role"`
		Content   string     `json:"content"`
		Thinking  string     `json:"thinking"`
		ToolCalls []toolCall `json:"tool_calls"`
	} `json:"message"`
	Done            bool   `json:"done"`
	DoneReason      string `json:"done_reason"`
	PromptEvalCount int    `json:"prompt_eval_count"`
	EvalCount       int    `json:"eval_count"`
	Error           string `json:"error"`
}

// created returns created_at as Unix seconds, or now.
func (r *chatResponse) created() int64 {
	if t, err := time.Parse(time.RFC3339Nano, r.CreatedAt); err == nil {
		return t.Unix()
	}
	return time.Now().Unix()
}

func (r *chatResponse) usage() *openai.Usage {
	return &openai.Usage{
		PromptTokens:     r.PromptEvalCount,
		CompletionTokens: r.EvalCount,
		TotalTokens:      r.PromptEvalCount + r.EvalCount,
	}
}

// toolCalls converts whole tool calls, numbering them from *n on. A call
// without an id gets prefix+n: unique to the response (prefix is), stable
// within it.
func (r *chatResponse) toolCalls(prefix string, n *int, withIndex bool) []openai.ToolCall {
	if len(r.Message.ToolCalls) == 0 {
		return nil
	}
	out := make([]openai.ToolCall, len(r.Message.ToolCalls))
	for i, tc := range r.Message.ToolCalls {
		id := tc.ID
		if id == "" {
			id = prefix + strconv.Itoa(*n)
		}
		args := string(tc.Function.Arguments)
		if len(tc.Function.Arguments) == 0 || string(tc.Function.Arguments) == "null" {
			args = "{}"
		} else if tc.Function.Arguments[0] == '"' {
			// A string of JSON, as some models' templates produce.
			var s string
			if json.Unmarshal(tc.Function.Arguments, &s) == nil {
				args = s
			}
		}
		out[i] = openai.ToolCall{ID: id, Type: "function", Function: openai.FunctionCall{Name: tc.Function.Name, Arguments: args}}
		if withIndex {
			out[i].Index = openai.Ptr(*n)
		}
		*n++
	}
	return out
}

// finish maps done_reason (protocols.md §10.2): stop with tool calls is
// tool_calls, length is length, and everything else (stop, load, unload,
// unknown reasons) is stop. The native reason is kept as sent.
func finish(doneReason string, sawToolCalls bool) (reason string, native *string) {
	if doneReason != "" {
		native = openai.Ptr(doneReason)
	}
	switch {
	case doneReason == "length":
		return openai.FinishLength, native
	case sawToolCalls:
		return openai.FinishToolCalls, native
	}
	return openai.FinishStop, native
}

// response converts a non-streamed answer; exclude drops the thinking.
func (r *chatResponse) response(exclude bool) *openai.ChatResponse {
	id, prefix := newIDs()
	n := 0
	calls := r.toolCalls(prefix, &n, false)
	reason, native := finish(r.DoneReason, len(calls) > 0)
	msg := openai.ResponseMessage{Role: "assistant", ToolCalls: calls}
	if r.Message.Content != "" || len(calls) == 0 {
		msg.Content = openai.Ptr(r.Message.Content)
	}
	if r.Message.Thinking != "" && !exclude {
		msg.Reasoning = openai.Ptr(r.Message.Thinking)
	}
	return &openai.ChatResponse{
		ID:      id,
		Object:  openai.ObjectChatCompletion,
		Created: r.created(),
		Model:   r.Model,
		Choices: []openai.Choice{{
			Index:              0,
			Message:            msg,
			FinishReason:       openai.Ptr(reason),
			NativeFinishReason: native,
		}},
		Usage: r.usage(),
	}
}
