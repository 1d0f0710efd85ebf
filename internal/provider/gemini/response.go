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

// parts returns the candidate's parts, if any.
func (c *candidate) parts() []part {
	if c.Content == nil {
		return nil
	}
	return c.Content.Parts
}

type usageMetadata struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount"`
	TotalTokenCount         int `json:"totalTokenCount"`
}

// openai converts usage. promptTokenCount already includes the cached
// tokens, which are only broken out; tool-use prompt tokens are prompt
// tokens too. Thoughts are outside candidatesTokenCount, so they are added
// to the completion tokens and reported as reasoning tokens.
func (u *usageMetadata) openai() *openai.Usage {
	if u == nil {
		return nil
	}
	out := &openai.Usage{
		PromptTokens:        u.PromptTokenCount + u.ToolUsePromptTokenCount,
		CompletionTokens:    u.CandidatesTokenCount + u.ThoughtsTokenCount,
		PromptTokensDetails: &openai.PromptTokensDetails{CachedTokens: u.CachedContentTokenCount},
	}
	out.TotalTokens = max(u.TotalTokenCount, out.PromptTokens+out.CompletionTokens)
	if u.ThoughtsTokenCount > 0 {
		out.CompletionTokensDetails = &openai.CompletionTokensDetails{ReasoningTokens: u.ThoughtsTokenCount}
	}
	return out
}

// finishReason maps a Gemini finishReason (or promptFeedback.blockReason)
// to OpenAI's; sawTool says the candidate called a function, which Gemini
// reports as STOP.
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

// callIDs synthesizes the tool call ids Gemini usually omits:
// call_<response id>_<n>, unique across the turns of a conversation and
// the same for a call wherever it is reported.
type callIDs struct {
	prefix string // the response id, reduced to [0-9A-Za-z-]
	n      int
}

// response sets the response id the synthesized ids derive from; the
// first one seen wins.
func (c *callIDs) response(id string) {
	if c.prefix != "" {
		return
	}
	c.prefix = strings.Map(func(r rune) rune {
		if r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, id)
}

func (c *callIDs) next(fc *functionCall) string {
	id := fc.ID
	if id == "" {
		id = "call_" + strconv.Itoa(c.n)
		if c.prefix != "" {
			id = "call_" + c.prefix + "_" + strconv.Itoa(c.n)
		}
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

// turn converts the parts of one candidate, from one response or from
// the chunks of a stream in order.
type turn struct {
	ids     *callIDs
	exclude bool // drop thought text
	calls   int  // tool calls so far
	details int  // reasoning_details items so far
	// thinking is the index of the reasoning.text item that consecutive
	// thought parts extend, or -1.
	thinking int
}

func newTurn(ids *callIDs, exclude bool) *turn {
	return &turn{ids: ids, exclude: exclude, thinking: -1}
}

// delta is what some parts add to a candidate's message.
type delta struct {
	text, reasoning       strings.Builder
	hasText, hasReasoning bool
	calls                 []openai.ToolCall
	details               []openai.ReasoningDetail
}

// empty reports whether the parts added nothing.
func (d *delta) empty() bool {
	return !d.hasText && !d.hasReasoning && len(d.calls) == 0 && len(d.details) == 0
}

// read adds parts to d: text, thought text (reasoning, and a
// reasoning.text detail), function calls (numbered by Index), and thought
// signatures as reasoning.encrypted details naming the tool call they
// came with.
func (t *turn) read(parts []part, d *delta) {
	for _, p := range parts {
		var callID string
		switch {
		case p.FunctionCall != nil:
			tc := toolCall(p.FunctionCall, t.ids)
			tc.Index = openai.Ptr(t.calls)
			t.calls++
			d.calls = append(d.calls, tc)
			callID = tc.ID
			t.thinking = -1
		case p.Text != nil && p.Thought:
			if *p.Text != "" && !t.exclude {
				d.reasoning.WriteString(*p.Text)
				d.hasReasoning = true
				t.thought(*p.Text, d)
			}
		case p.Text != nil && *p.Text != "":
			d.text.WriteString(*p.Text)
			d.hasText = true
			t.thinking = -1
		}
		if p.ThoughtSignature != "" {
			d.details = append(d.details, openai.ReasoningDetail{
				Type: openai.ReasoningEncrypted, Data: p.ThoughtSignature, ID: callID,
				Format: openai.FormatGemini, Index: t.details,
			})
			t.details++
			t.thinking = -1
		}
	}
}

// thought adds thought text to the open reasoning.text detail, or opens
// one.
func (t *turn) thought(text string, d *delta) {
	if n := len(d.details); t.thinking >= 0 && n > 0 && d.details[n-1].Index == t.thinking {
		d.details[n-1].Text += text
		return
	}
	if t.thinking < 0 {
		t.thinking = t.details
		t.details++
	}
	d.details = append(d.details, openai.ReasoningDetail{
		Type: openai.ReasoningText, Text: text, Format: openai.FormatGemini, Index: t.thinking,
	})
}

// chat converts a non-streamed response.
func (r *response) chat(created int64, exclude bool) *openai.ChatResponse {
	out := &openai.ChatResponse{
		ID:      r.ResponseID,
		Object:  openai.ObjectChatCompletion,
		Created: created,
		Model:   r.ModelVersion,
		Choices: []openai.Choice{},
		Usage:   r.UsageMetadata.openai(),
	}
	ids := &callIDs{}
	ids.response(r.ResponseID)
	for pos := range r.Candidates {
		c := &r.Candidates[pos]
		var d delta
		newTurn(ids, exclude).read(c.parts(), &d)
		msg := openai.ResponseMessage{Role: "assistant", ReasoningDetails: openai.ReasoningDetailsJSON(d.details)}
		if d.hasText {
			msg.Content = openai.Ptr(d.text.String())
		}
		if d.hasReasoning {
			msg.Reasoning = openai.Ptr(d.reasoning.String())
		}
		for _, tc := range d.calls {
			tc.Index = nil
			msg.ToolCalls = append(msg.ToolCalls, tc)
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
