package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// request is the body of generateContent and streamGenerateContent.
type request struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction,omitempty"`
	Tools             []tool            `json:"tools,omitempty"`
	ToolConfig        *toolConfig       `json:"toolConfig,omitempty"`
	GenerationConfig  *generationConfig `json:"generationConfig,omitempty"`
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

type generationConfig struct {
	MaxOutputTokens    *int            `json:"maxOutputTokens,omitempty"`
	Temperature        *float64        `json:"temperature,omitempty"`
	TopP               *float64        `json:"topP,omitempty"`
	TopK               *int            `json:"topK,omitempty"`
	StopSequences      []string        `json:"stopSequences,omitempty"`
	CandidateCount     *int            `json:"candidateCount,omitempty"`
	Seed               *int64          `json:"seed,omitempty"`
	PresencePenalty    *float64        `json:"presencePenalty,omitempty"`
	FrequencyPenalty   *float64        `json:"frequencyPenalty,omitempty"`
	ResponseMimeType   string          `json:"responseMimeType,omitempty"`
	ResponseSchema     json.RawMessage `json:"responseSchema,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
}

// synthesized matches the tool call ids this adapter makes up; they are
// never sent back upstream.
var synthesized = regexp.MustCompile(`^call_[0-9]+$`)

// translate builds the upstream request. It never modifies req.Chat.
func translate(req *provider.Request) (*request, error) {
	c := req.Chat
	if c == nil {
		return nil, fmt.Errorf("gemini: no chat request")
	}
	out := &request{Contents: []content{}}

	// Tool messages name no function; Gemini's functionResponse must.
	names := make(map[string]string)
	for i := range c.Messages {
		m := &c.Messages[i]
		switch m.Role {
		case "system", "developer":
			parts, err := contentParts(m.Content, false)
			if err != nil {
				return nil, fmt.Errorf("messages[%d]: %w", i, err)
			}
			if len(parts) == 0 {
				continue
			}
			if out.SystemInstruction == nil {
				out.SystemInstruction = &content{}
			}
			out.SystemInstruction.Parts = append(out.SystemInstruction.Parts, parts...)
		case "user":
			parts, err := contentParts(m.Content, true)
			if err != nil {
				return nil, fmt.Errorf("messages[%d]: %w", i, err)
			}
			out.append("user", parts)
		case "assistant":
			parts, err := contentParts(m.Content, false)
			if err != nil {
				return nil, fmt.Errorf("messages[%d]: %w", i, err)
			}
			for j, tc := range m.ToolCalls {
				args, err := openai.ToolArguments(tc.Function.Arguments)
				if err != nil {
					return nil, fmt.Errorf("messages[%d].tool_calls[%d]: %w", i, j, err)
				}
				if tc.ID != "" {
					names[tc.ID] = tc.Function.Name
				}
				fc := &functionCall{Name: tc.Function.Name, Args: args}
				if !synthesized.MatchString(tc.ID) {
					fc.ID = tc.ID
				}
				parts = append(parts, part{FunctionCall: fc})
			}
			out.append("model", parts)
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
			return nil, fmt.Errorf("messages[%d]: unsupported role %q", i, m.Role)
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

	gc, err := genConfig(c)
	if err != nil {
		return nil, err
	}
	out.GenerationConfig = gc
	return out, nil
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

// contentParts translates message content. Empty text is dropped.
func contentParts(c openai.Content, images bool) ([]part, error) {
	if c.IsNull() {
		return nil, nil
	}
	if !c.IsParts() {
		if c.Text == "" {
			return nil, nil
		}
		return []part{textPart(c.Text)}, nil
	}
	var out []part
	for i, p := range c.Parts {
		switch p.Type {
		case "text":
			if p.Text != "" {
				out = append(out, textPart(p.Text))
			}
		case "image_url":
			if !images {
				return nil, fmt.Errorf("content[%d]: images are only supported in user messages", i)
			}
			if p.ImageURL == nil {
				return nil, fmt.Errorf("content[%d]: image_url part without image_url", i)
			}
			ip, err := imagePart(p.ImageURL.URL)
			if err != nil {
				return nil, fmt.Errorf("content[%d]: %w", i, err)
			}
			out = append(out, ip)
		default:
			return nil, fmt.Errorf("content[%d]: unsupported content part type %q", i, p.Type)
		}
	}
	return out, nil
}

func textPart(s string) part { return part{Text: &s} }

// imagePart turns a data: URL into inlineData and an http(s) URL into
// fileData.
func imagePart(u string) (part, error) {
	if strings.HasPrefix(u, "data:") {
		mimeType, data, ok := openai.ParseDataURL(u)
		if !ok || mimeType == "" {
			return part{}, fmt.Errorf("image data URL must be data:<media type>;base64,<data>")
		}
		return part{InlineData: &blob{MimeType: mimeType, Data: data}}, nil
	}
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return part{FileData: &fileData{MimeType: guessMime(u), FileURI: u}}, nil
	}
	return part{}, fmt.Errorf("image URL must be a data: or http(s) URL")
}

var imageTypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".webp": "image/webp",
	".gif":  "image/gif",
	".heic": "image/heic",
	".heif": "image/heif",
}

// guessMime guesses an image URL's type from its path's extension.
func guessMime(u string) string {
	p := u
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if t, ok := imageTypes[strings.ToLower(path.Ext(p))]; ok {
		return t
	}
	return "image/jpeg"
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

// schema converts a JSON Schema for Gemini's OpenAPI-subset Schema field:
// keywords Gemini rejects are dropped. A schema with references goes in
// the JSON Schema field instead. Absent schemas stay absent.
func schema(raw json.RawMessage) (openAPI, jsonSchema json.RawMessage) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw, nil
	}
	if hasRefs(v) {
		return nil, raw
	}
	b, err := json.Marshal(clean(v))
	if err != nil {
		return raw, nil
	}
	return b, nil
}

func hasRefs(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if k == "$ref" || k == "$defs" || k == "definitions" || hasRefs(x) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if hasRefs(x) {
				return true
			}
		}
	}
	return false
}

// clean returns a copy of a schema without additionalProperties, $schema,
// $id and strict.
func clean(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			switch k {
			case "additionalProperties", "$schema", "$id", "strict":
				continue
			case "properties":
				// Property names are data, not keywords.
				if props, ok := x.(map[string]any); ok {
					p := make(map[string]any, len(props))
					for name, s := range props {
						p[name] = clean(s)
					}
					out[k] = p
					continue
				}
			}
			out[k] = clean(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = clean(x)
		}
		return out
	}
	return v
}

// genConfig builds generationConfig; nil when nothing is set.
func genConfig(c *openai.ChatRequest) (*generationConfig, error) {
	g := &generationConfig{
		Temperature:      c.Temperature,
		TopP:             c.TopP,
		TopK:             c.TopK,
		CandidateCount:   c.N,
		Seed:             c.Seed,
		PresencePenalty:  c.PresencePenalty,
		FrequencyPenalty: c.FrequencyPenalty,
	}
	if n := c.MaxOutputTokens(); n > 0 {
		g.MaxOutputTokens = openai.Ptr(n)
	}
	stop, err := openai.ParseStop(c.Stop)
	if err != nil {
		return nil, err
	}
	g.StopSequences = stop
	if err := g.responseFormat(c.ResponseFormat); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(g)
	if string(b) == "{}" {
		return nil, nil
	}
	return g, nil
}

// responseFormat maps response_format: json_object → JSON mode, and
// json_schema → JSON mode with a schema.
func (g *generationConfig) responseFormat(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return fmt.Errorf("response_format: %w", err)
	}
	switch rf.Type {
	case "", "text":
	case "json_object":
		g.ResponseMimeType = "application/json"
	case "json_schema":
		g.ResponseMimeType = "application/json"
		if rf.JSONSchema != nil {
			g.ResponseSchema, g.ResponseJSONSchema = schema(rf.JSONSchema.Schema)
		}
	default:
		return fmt.Errorf("response_format: unsupported type %q", rf.Type)
	}
	return nil
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
