package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

// request is the body of generateContent and streamGenerateContent.
type request struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction,omitempty"`
	Tools             []tool            `json:"tools,omitempty"`
	ToolConfig        *toolConfig       `json:"toolConfig,omitempty"`
	GenerationConfig  *generationConfig `json:"generationConfig,omitempty"`

	// exclude keeps thought text from the client (reasoning.exclude).
	exclude bool
}

// content is one turn: role user or model (none for systemInstruction).
type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

// part is a content part of any kind, in requests and responses.
type part struct {
	Text             *string           `json:"text,omitempty"`
	Thought          bool              `json:"thought,omitempty"`
	ThoughtSignature string            `json:"thoughtSignature,omitempty"`
	InlineData       *blob             `json:"inlineData,omitempty"`
	FileData         *fileData         `json:"fileData,omitempty"`
	FunctionCall     *functionCall     `json:"functionCall,omitempty"`
	FunctionResponse *functionResponse `json:"functionResponse,omitempty"`
}

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type fileData struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type functionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type functionResponse struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type tool struct {
	FunctionDeclarations []functionDeclaration `json:"functionDeclarations"`
}

type functionDeclaration struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	Parameters           json.RawMessage `json:"parameters,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

type toolConfig struct {
	FunctionCallingConfig functionCallingConfig `json:"functionCallingConfig"`
}

type functionCallingConfig struct {
	Mode                 string   `json:"mode"` // AUTO, ANY, NONE
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

// synthesized matches the tool call ids this adapter makes up (see
// callIDs); they are never sent back upstream.
var synthesized = regexp.MustCompile(`^call_(?:[0-9A-Za-z-]+_)?[0-9]+$`)

// translator builds one upstream request; it loads media with fetch.
type translator struct {
	ctx   context.Context
	fetch *media.Fetcher
}

// translate builds the upstream request for model. It never modifies
// req.Chat.
func (t translator) translate(req *provider.Request, model string) (*request, error) {
	c := req.Chat
	if c == nil {
		return nil, fmt.Errorf("gemini: no chat request")
	}
	out := &request{Contents: []content{}}

	// Tool messages name no function; Gemini's functionResponse must.
	names := make(map[string]string)
	for i := range c.Messages {
		m := &c.Messages[i]
		var err error
		switch m.Role {
		case "system", "developer":
			var parts []part
			if parts, err = t.parts(m.Content, false); err == nil && len(parts) > 0 {
				if out.SystemInstruction == nil {
					out.SystemInstruction = &content{}
				}
				out.SystemInstruction.Parts = append(out.SystemInstruction.Parts, parts...)
			}
		case "user":
			var parts []part
			if parts, err = t.parts(m.Content, true); err == nil {
				out.append("user", parts)
			}
		case "assistant":
			var parts []part
			if parts, err = assistantParts(t, m, names); err == nil {
				out.append("model", parts)
			}
		case "tool":
			name := names[m.ToolCallID]
			if name == "" {
				name = m.Name
			}
			if name == "" {
				return nil, fmt.Errorf("messages[%d]: tool_call_id %q matches no earlier tool call", i, m.ToolCallID)
			}
			fr := &functionResponse{Name: name, Response: toolResponse(m.Content.PlainText())}
			if m.ToolCallID != "" && !synthesized.MatchString(m.ToolCallID) {
				fr.ID = m.ToolCallID
			}
			out.append("user", []part{{FunctionResponse: fr}})
		default:
			err = fmt.Errorf("unsupported role %q", m.Role)
		}
		if err != nil {
			return nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
	}

	var decls []functionDeclaration
	for i, t := range c.Tools {
		if t.Type != "function" || t.Function == nil {
			return nil, fmt.Errorf("tools[%d]: unsupported tool type %q", i, t.Type)
		}
		d := functionDeclaration{Name: t.Function.Name, Description: t.Function.Description}
		d.Parameters, d.ParametersJSONSchema = schema(t.Function.Parameters)
		decls = append(decls, d)
	}
	if len(decls) > 0 {
		out.Tools = []tool{{FunctionDeclarations: decls}}
		tc, err := mapToolChoice(c.ToolChoice)
		if err != nil {
			return nil, err
		}
		out.ToolConfig = tc
	}

	r, err := c.ReasoningRequest()
	if err != nil {
		return nil, err
	}
	out.exclude = r.Exclude
	gc, err := genConfig(c, model, r)
	if err != nil {
		return nil, err
	}
	out.GenerationConfig = gc
	return out, nil
}

// assistantParts translates an assistant message: its text, its tool
// calls as functionCall parts, and the thought signatures of its
// reasoning_details put back where Gemini sent them.
func assistantParts(t translator, m *openai.Message, names map[string]string) ([]part, error) {
	parts, err := t.parts(m.Content, false)
	if err != nil {
		return nil, err
	}
	calls := make(map[string]int, len(m.ToolCalls)) // tool call id → its part
	for j, tc := range m.ToolCalls {
		args, err := openai.ToolArguments(tc.Function.Arguments)
		if err != nil {
			return nil, fmt.Errorf("tool_calls[%d]: %w", j, err)
		}
		fc := &functionCall{Name: tc.Function.Name, Args: args}
		if tc.ID != "" {
			names[tc.ID] = tc.Function.Name
			calls[tc.ID] = len(parts)
			if !synthesized.MatchString(tc.ID) {
				fc.ID = tc.ID
			}
		}
		parts = append(parts, part{FunctionCall: fc})
	}
	details, err := openai.ParseReasoningDetails(m.ReasoningDetails)
	if err != nil {
		return nil, err
	}
	restoreSignatures(parts, details, calls)
	return parts, nil
}

// restoreSignatures puts the thought signatures of Gemini's
// reasoning_details back verbatim: on the functionCall part of the tool
// call they name, else on the first part. Other formats are dropped.
func restoreSignatures(parts []part, details []openai.ReasoningDetail, calls map[string]int) {
	if len(parts) == 0 {
		return
	}
	for _, d := range details {
		if d.Format != openai.FormatGemini || d.Type != openai.ReasoningEncrypted || d.Data == "" {
			continue
		}
		if i, ok := calls[d.ID]; ok && d.ID != "" {
			parts[i].ThoughtSignature = d.Data
		} else if parts[0].ThoughtSignature == "" {
			parts[0].ThoughtSignature = d.Data
		}
	}
}

// append adds parts as a turn of role, merging into the previous turn when
// the roles agree, as Gemini wants alternating turns.
func (r *request) append(role string, parts []part) {
	if len(parts) == 0 {
		return
	}
	if n := len(r.Contents); n > 0 && r.Contents[n-1].Role == role {
		r.Contents[n-1].Parts = append(r.Contents[n-1].Parts, parts...)
		return
	}
	r.Contents = append(r.Contents, content{Role: role, Parts: parts})
}

// toolResponse wraps a tool result: a JSON object is sent as is, anything
// else as {"output": text}.
func toolResponse(text string) json.RawMessage {
	t := bytes.TrimSpace([]byte(text))
	if len(t) > 0 && t[0] == '{' && json.Valid(t) {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(map[string]string{"output": text})
	return b
}

// mapToolChoice maps OpenAI's tool_choice: auto → AUTO, none → NONE,
// required → ANY, and a named function → ANY restricted to it.
func mapToolChoice(raw json.RawMessage) (*toolConfig, error) {
	tc, err := openai.ParseToolChoice(raw)
	if tc == nil || err != nil {
		return nil, err
	}
	switch tc.Mode {
	case openai.ToolChoiceAuto:
		return &toolConfig{functionCallingConfig{Mode: "AUTO"}}, nil
	case openai.ToolChoiceNone:
		return &toolConfig{functionCallingConfig{Mode: "NONE"}}, nil
	case openai.ToolChoiceRequired:
		return &toolConfig{functionCallingConfig{Mode: "ANY"}}, nil
	}
	return &toolConfig{functionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{tc.Name}}}, nil
}
