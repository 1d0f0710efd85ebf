package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// response_format (protocols.md §2.1):
//
//   - json_schema → Anthropic's structured outputs, output_config.format =
//     {type: json_schema, schema}: the reply's text is the JSON document.
//     The schema must follow Anthropic's subset (objects closed with
//     additionalProperties: false); models without structured outputs
//     reject it upstream.
//   - json_object → structured outputs need a closed schema, so the
//     forced-tool technique instead: a tool named jsonToolName whose input
//     schema is any object, with tool_choice forcing it (any, when the
//     client declared tools of its own and left tool_choice unset; the
//     client's tool_choice otherwise). Its tool_use input comes back as
//     message.content with finish_reason stop, streamed as content deltas.
//     With reasoning on, the forced choice is subject to the thinking rule
//     (see reasoning.go).
//   - text or absent → nothing.

// jsonToolName is the tool of response_format json_object.
const jsonToolName = "json_response"

// jsonToolSchema accepts any JSON object.
var jsonToolSchema = json.RawMessage(`{"type":"object"}`)

// outputConfig is the request's output_config.
type outputConfig struct {
	Format *outputFormat `json:"format,omitempty"`
}

type outputFormat struct {
	Type   string          `json:"type"` // json_schema
	Schema json.RawMessage `json:"schema"`
}

// responseFormat is OpenAI's response_format.
type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
	} `json:"json_schema"`
}

// applyResponseFormat maps response_format onto r, after its tools.
func (r *request) applyResponseFormat(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var rf responseFormat
	if err := json.Unmarshal(raw, &rf); err != nil {
		return fmt.Errorf("response_format: %w", err)
	}
	switch rf.Type {
	case "", "text":
		return nil
	case "json_schema":
		if rf.JSONSchema == nil || len(bytes.TrimSpace(rf.JSONSchema.Schema)) == 0 {
			return errors.New("response_format json_schema needs json_schema.schema")
		}
		r.OutputConfig = &outputConfig{Format: &outputFormat{Type: "json_schema", Schema: rf.JSONSchema.Schema}}
		return nil
	case "json_object":
		for _, t := range r.Tools {
			if t.Name == jsonToolName {
				return fmt.Errorf("response_format json_object cannot be used with a tool named %q", jsonToolName)
			}
		}
		clientTools := len(r.Tools) > 0
		r.Tools = append(r.Tools, tool{Name: jsonToolName, Description: "Respond with a JSON object: the input of this tool is your reply.", InputSchema: jsonToolSchema})
		switch {
		case !clientTools:
			r.ToolChoice = &toolChoice{Type: "tool", Name: jsonToolName}
		case r.ToolChoice == nil:
			r.ToolChoice = &toolChoice{Type: "any"}
		}
		r.opts.jsonTool = true
		return nil
	}
	return fmt.Errorf("response_format type %q is not supported", rf.Type)
}
