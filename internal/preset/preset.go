// Package preset applies presets to chat requests. A preset is a named,
// stored chat configuration (store.Preset): a JSON object of chat request
// fields plus "system_prompt". A request invokes one in any of three ways:
//
//	{"model": "@preset/email-copywriter", ...}              the preset's model
//	{"model": "openai/gpt-4o", "preset": "email-copywriter"} the request's model
//	{"model": "openai/gpt-4o@preset/email-copywriter", ...}  the request's model
//
// Merging works on the top-level JSON objects: the preset's fields first,
// the request's fields replacing them (a field the request sets to null
// clears the preset's), except that tools are unioned by function name (or
// server-tool type), the request's definition winning, and the preset's
// system prompt is prepended to the request's messages as a system message.
package preset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// modelRef is what marks a preset reference in a model id.
const modelRef = "@preset/"

// SystemPromptField is the config field holding the preset's system prompt.
const SystemPromptField = "system_prompt"

// Invocation is a chat request body that invokes a preset.
type Invocation struct {
	// Slug names the preset invoked.
	Slug string

	fields map[string]json.RawMessage // the request's top-level fields
	// model is the model the request names itself, or nil when it names
	// only the preset (whose model is then used).
	model json.RawMessage
}

// Invokes reports whether a decoded chat request may invoke a preset: it
// has a preset field, or its model holds a reference. Parse of its body
// says which preset, or why the reference is invalid; a request for which
// Invokes is false invokes none, and its body need not be parsed again.
func Invokes(req *openai.ChatRequest) bool {
	return req.Preset != nil || strings.Contains(req.Model, modelRef)
}

// Parse returns the preset a chat request body invokes, or nil if it
// invokes none. A body without the bytes "preset" costs one bytes.Contains;
// one that is not a JSON object is left to the caller's decoder (nil, nil).
// Errors are the client's: a malformed reference or two different ones.
func Parse(body []byte) (*Invocation, error) {
	if !bytes.Contains(body, []byte("preset")) {
		return nil, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, nil
	}
	inv := &Invocation{fields: fields, model: fields["model"]}
	if raw, ok := fields["preset"]; ok {
		if err := json.Unmarshal(raw, &inv.Slug); err != nil {
			return nil, errors.New("preset must be a string: the slug of one of your presets")
		}
		if !store.ValidPresetSlug(inv.Slug) {
			return nil, fmt.Errorf("preset %q is not a valid preset slug (lowercase letters, digits and '-')", inv.Slug)
		}
	}
	var model string
	if json.Unmarshal(inv.model, &model) == nil {
		if own, slug, ok := strings.Cut(model, modelRef); ok {
			if !store.ValidPresetSlug(slug) {
				return nil, fmt.Errorf("model %q: %q is not a valid preset slug (lowercase letters, digits and '-')", model, slug)
			}
			if inv.Slug != "" && inv.Slug != slug {
				return nil, fmt.Errorf("model %q and preset %q name different presets", model, inv.Slug)
			}
			inv.Slug, inv.model = slug, nil
			if own != "" {
				inv.model, _ = json.Marshal(own)
			}
		}
	}
	if inv.Slug == "" {
		return nil, nil // "preset" was only in a message or a value
	}
	return inv, nil
}

// Apply merges the preset config under the request and returns the body to
// decode. Errors are the client's (a request field of the wrong shape) or,
// for a config that is not an object, the store's.
func (inv *Invocation) Apply(config json.RawMessage) ([]byte, error) {
	var out map[string]json.RawMessage
	if err := json.Unmarshal(config, &out); err != nil {
		return nil, fmt.Errorf("preset %s: stored config: %w", inv.Slug, err)
	}
	var system string
	if raw, ok := out[SystemPromptField]; ok {
		if err := json.Unmarshal(raw, &system); err != nil {
			return nil, fmt.Errorf("preset %s: stored system_prompt: %w", inv.Slug, err)
		}
		delete(out, SystemPromptField)
	}
	presetTools := out["tools"]
	for k, v := range inv.fields {
		switch k {
		case "preset", "model":
		case "tools":
			tools, err := unionTools(presetTools, v)
			if err != nil {
				return nil, err
			}
			out[k] = tools
		default:
			out[k] = v
		}
	}
	if inv.model != nil {
		out["model"] = inv.model
	}
	if system != "" {
		messages, err := prependSystem(system, out["messages"])
		if err != nil {
			return nil, err
		}
		out["messages"] = messages
	}
	return marshal(out)
}

// prependSystem returns messages (a JSON array, or absent) with a system
// message first.
func prependSystem(prompt string, messages json.RawMessage) (json.RawMessage, error) {
	var list []json.RawMessage
	if err := unmarshalList(messages, &list); err != nil {
		return nil, errors.New("messages must be an array")
	}
	first, err := marshal(struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}{"system", prompt})
	if err != nil {
		return nil, err
	}
	return marshal(append([]json.RawMessage{first}, list...))
}

// unionTools returns the preset's tools that the request does not redefine,
// then the request's tools, in their orders. A tool is identified by its
// function name, or by its type when it has none (server tools).
func unionTools(preset, request json.RawMessage) (json.RawMessage, error) {
	var ours, theirs []json.RawMessage
	if err := unmarshalList(preset, &ours); err != nil {
		return nil, fmt.Errorf("preset tools: %w", err)
	}
	if err := unmarshalList(request, &theirs); err != nil {
		return nil, errors.New("tools must be an array")
	}
	redefined := make(map[string]bool, len(theirs))
	for _, t := range theirs {
		if k := toolKey(t); k != "" {
			redefined[k] = true
		}
	}
	out := make([]json.RawMessage, 0, len(ours)+len(theirs))
	for _, t := range ours {
		if k := toolKey(t); k == "" || !redefined[k] {
			out = append(out, t)
		}
	}
	return marshal(append(out, theirs...))
}

// toolKey identifies a tool definition: "function:NAME" for a function,
// "type:TYPE" for another tool, "" for one it cannot read.
func toolKey(tool json.RawMessage) string {
	var t struct {
		Type     string `json:"type"`
		Function *struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	switch {
	case json.Unmarshal(tool, &t) != nil:
		return ""
	case t.Function != nil && t.Function.Name != "":
		return "function:" + t.Function.Name
	case t.Type != "":
		return "type:" + t.Type
	}
	return ""
}

// unmarshalList decodes a JSON array; absent or null is an empty one.
func unmarshalList(raw json.RawMessage, list *[]json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, list)
}

// marshal encodes v compactly, leaving <, > and & as they are.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// CheckConfig validates a preset config for storing: a JSON object of chat
// request fields (unknown fields are errors) plus a string system_prompt,
// without messages or a reference to another preset. It returns the config
// decoded as a chat request, for the caller's own checks of values.
func CheckConfig(config json.RawMessage) (*openai.ChatRequest, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(config, &fields); err != nil || fields == nil {
		return nil, errors.New("config must be a JSON object of chat request fields")
	}
	if raw, ok := fields[SystemPromptField]; ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errors.New("config.system_prompt must be a string")
		}
		delete(fields, SystemPromptField)
	}
	for _, k := range []string{"messages", "preset"} {
		if _, ok := fields[k]; ok {
			return nil, fmt.Errorf("config.%s is not allowed: a preset holds a system_prompt and request parameters", k)
		}
	}
	rest, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	var req openai.ChatRequest
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("config is not a valid chat request: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	for _, m := range append([]string{req.Model}, req.Models...) {
		if strings.Contains(m, modelRef) {
			return nil, fmt.Errorf("config model %q refers to a preset: presets do not nest", m)
		}
	}
	return &req, nil
}
