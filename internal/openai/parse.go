package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Parsing of request fields whose JSON has several shapes, shared by the
// adapters that translate a ChatRequest into another dialect.

// ParseStop reads the stop field: a string, an array of strings, or null
// (or absent), which gives nil.
func ParseStop(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("stop: %w", err)
		}
		return []string{s}, nil
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil {
		return nil, errors.New("stop must be a string or an array of strings")
	}
	return ss, nil
}

// Tool choice modes.
const (
	ToolChoiceAuto     = "auto"
	ToolChoiceNone     = "none"
	ToolChoiceRequired = "required"
	ToolChoiceFunction = "function"
)

// ToolChoice is a parsed tool_choice.
type ToolChoice struct {
	// Mode is ToolChoiceAuto, ToolChoiceNone, ToolChoiceRequired or
	// ToolChoiceFunction.
	Mode string
	// Name is the forced function's name when Mode is ToolChoiceFunction.
	Name string
}

// ParseToolChoice reads tool_choice: "auto", "none", "required", or
// {"type":"function","function":{"name":…}}. It returns nil for null or
// absent.
func ParseToolChoice(raw json.RawMessage) (*ToolChoice, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("tool_choice: %w", err)
		}
		switch s {
		case ToolChoiceAuto, ToolChoiceNone, ToolChoiceRequired:
			return &ToolChoice{Mode: s}, nil
		}
		return nil, fmt.Errorf("tool_choice: unsupported value %q", s)
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &named); err != nil || named.Type != "function" || named.Function.Name == "" {
		return nil, errors.New("tool_choice: expected a string or {\"type\":\"function\",\"function\":{\"name\":…}}")
	}
	return &ToolChoice{Mode: ToolChoiceFunction, Name: named.Function.Name}, nil
}

// ToolArguments parses a tool call's arguments string into a JSON object:
// empty (or blank) arguments are {}, anything but an object is an error.
func ToolArguments(args string) (json.RawMessage, error) {
	a := bytes.TrimSpace([]byte(args))
	if len(a) == 0 {
		return json.RawMessage(`{}`), nil
	}
	if a[0] != '{' || !json.Valid(a) {
		return nil, errors.New("function arguments are not a JSON object")
	}
	return json.RawMessage(a), nil
}

// ParseDataURL splits a base64 data URL, data:<media type>;base64,<data>.
// ok is false unless u has that form; mediaType may be empty. The payload
// is returned as is, not decoded.
func ParseDataURL(u string) (mediaType, data string, ok bool) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return "", "", false
	}
	meta, data, ok := strings.Cut(rest, ",")
	mediaType, isB64 := strings.CutSuffix(meta, ";base64")
	if !ok || !isB64 {
		return "", "", false
	}
	return mediaType, data, true
}
