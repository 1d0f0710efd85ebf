package gemini

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// response is a GenerateContentResponse (also each streamed chunk). Error
// is set when the upstream sent an error object instead.
type response struct {
	Candidates     []candidate `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *usageMetadata  `json:"usageMetadata"`
	ModelVersion  string          `json:"modelVersion"`
	ResponseID    string          `json:"responseId"`
	Error         json.RawMessage `json:"error"`
}

type candidate struct {
	Content      *content `json:"content"`
	FinishReason string   `json:"finishReason"`
	Index        *int     `json:"index"`
}

// index returns the candidate's index, or its position when absent.
func (c *candidate) index(pos int) int {
	if c.Index != nil {
		return *c.Index
	}
	return pos
}

type usageMetadata struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount"`
	TotalTokenCount         int `json:"totalTokenCount"`
}

// openai converts usage. Thoughts are outside candidatesTokenCount, so
// they are added to completion tokens.
func (u *usageMetadata) openai() *openai.Usage {
	if u == nil {
		return nil
	}
	out := &openai.Usage{
		PromptTokens:        u.PromptTokenCount + u.ToolUsePromptTokenCount,
		CompletionTokens:    u.CandidatesTokenCount + u.ThoughtsTokenCount,
		PromptTokensDetails: &openai.PromptTokensDetails{CachedTokens: u.CachedContentTokenCount},
	}
	out.TotalTokens = u.TotalTokenCount
	if sum := out.PromptTokens + out.CompletionTokens; out.TotalTokens < sum {
		out.TotalTokens = sum
	}
	if u.ThoughtsTokenCount > 0 {
		out.CompletionTokensDetails = &openai.CompletionTokensDetails{ReasoningTokens: u.ThoughtsTokenCount}
	}
	return out
}

// finishReason maps a Gemini finishReason (or promptFeedback.blockReason)
// to OpenAI's; sawTool says a functionCall part came with the candidate.
func finishReason(native string, sawTool bool) string {
	switch native {
	case "STOP":
		if sawTool {
			return openai.FinishToolCalls
		}
		return openai.FinishStop
	case "MAX_TOKENS":
		return openai.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "MODEL_ARMOR", "JAILBREAK":
		return openai.FinishContentFilter
	case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS":
		return openai.FinishError
	}
	if strings.HasPrefix(native, "IMAGE_") && native != "IMAGE_OTHER" {
		return openai.FinishContentFilter
	}
	if sawTool {
		return openai.FinishToolCalls
	}
	// LANGUAGE, OTHER, FINISH_REASON_UNSPECIFIED and anything new.
	return openai.FinishStop
}

// callIDs synthesizes tool call ids, which Gemini usually omits.
type callIDs struct{ n int }

func (c *callIDs) next(fc *functionCall) string {
	id := fc.ID
	if id == "" {
		id = "call_" + strconv.Itoa(c.n)
	}
	c.n++
	return id
}

// toolCall converts a functionCall part.
func toolCall(fc *functionCall, ids *callIDs) openai.ToolCall {
	args := "{}"
	if a := bytes.TrimSpace(fc.Args); len(a) > 0 && string(a) != "null" {
		var b bytes.Buffer
		if json.Compact(&b, a) == nil {
			args = b.String()
		} else {
			args = string(a)
		}
	}
	return openai.ToolCall{ID: ids.next(fc), Type: "function", Function: openai.FunctionCall{Name: fc.Name, Arguments: args}}
}

// chat converts a non-streamed response.
func (r *response) chat(created int64) *openai.ChatResponse {
	out := &openai.ChatResponse{
		ID:      r.ResponseID,
		Object:  openai.ObjectChatCompletion,
		Created: created,
		Model:   r.ModelVersion,
		Choices: []openai.Choice{},
		Usage:   r.UsageMetadata.openai(),
	}
	var ids callIDs
	for pos := range r.Candidates {
		c := &r.Candidates[pos]
		var text, reasoning strings.Builder
		var hasText, hasReasoning bool
		msg := openai.ResponseMessage{Role: "assistant"}
		if c.Content != nil {
			for _, p := range c.Content.Parts {
				switch {
				case p.FunctionCall != nil:
					msg.ToolCalls = append(msg.ToolCalls, toolCall(p.FunctionCall, &ids))
				case p.Text != nil && p.Thought:
					reasoning.WriteString(*p.Text)
					hasReasoning = true
				case p.Text != nil:
					text.WriteString(*p.Text)
					hasText = true
				}
			}
		}
		if hasText {
			msg.Content = openai.Ptr(text.String())
		}
		if hasReasoning {
			msg.Reasoning = openai.Ptr(reasoning.String())
		}
		choice := openai.Choice{Index: c.index(pos), Message: msg}
		if c.FinishReason != "" {
			choice.FinishReason = openai.Ptr(finishReason(c.FinishReason, len(msg.ToolCalls) > 0))
			choice.NativeFinishReason = openai.Ptr(c.FinishReason)
		}
		out.Choices = append(out.Choices, choice)
	}
	if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		out.Choices = append(out.Choices, openai.Choice{
			Message:            openai.ResponseMessage{Role: "assistant"},
			FinishReason:       openai.Ptr(openai.FinishContentFilter),
			NativeFinishReason: openai.Ptr(r.PromptFeedback.BlockReason),
		})
	}
	return out
}
