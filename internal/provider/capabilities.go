package provider

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// Capabilities declares what an adapter translates faithfully. What an
// adapter does not declare, it must not pretend to do: the conformance
// suite (providertest.RunConformance) skips those cases, the catalog drops
// the matching supported_parameters for endpoints served by the adapter,
// and a request that needs a missing capability while setting
// provider.require_parameters gets a 400 (see Capabilities.Check).
type Capabilities struct {
	Tools             bool // tools, tool_choice auto/none/required/named
	ParallelToolCalls bool // several calls in one turn; parallel_tool_calls
	Images            bool // image_url parts (data: and http(s) URLs)
	Files             bool // file parts (PDFs)
	JSONMode          bool // response_format json_object
	StructuredOutputs bool // response_format json_schema
	Reasoning         bool // reasoning / reasoning_effort → the provider's mechanism
	ReasoningDetails  bool // reasoning_details (signatures) returned and accepted back
	PromptCaching     bool // cache_control honoured
	CachedUsage       bool // cached prompt tokens reported (explicit or automatic caching)
	CacheWriteUsage   bool // cache-write tokens reported in usage

	// Dropped lists the OpenAI/OpenRouter request parameters the adapter
	// accepts but cannot forward (for example "logit_bias"): they are
	// ignored, or refused under require_parameters.
	Dropped []string
}

// Describer is implemented by providers that declare their capabilities.
type Describer interface {
	Capabilities() Capabilities
}

// ModelDescriber is implemented by providers whose capabilities depend on
// the upstream model (Vertex AI serves Gemini and Claude models).
type ModelDescriber interface {
	ModelCapabilities(upstreamModel string) Capabilities
}

// Authorizer authenticates an upstream request just before it is sent:
// a bearer token from an OAuth token source, SigV4 signing, … body is the
// exact request body (SigV4 hashes it).
type Authorizer interface {
	Authorize(req *http.Request, body []byte) error
}

// Check returns an error naming the first thing chat asks for that these
// capabilities cannot honour, or nil. Adapters call it when the client set
// provider.require_parameters, and answer a 400 with its message.
func (c Capabilities) Check(chat *openai.ChatRequest) error {
	need := func(ok bool, what string) error {
		if ok {
			return nil
		}
		return fmt.Errorf("this provider does not support %s, and provider.require_parameters is set", what)
	}
	if len(chat.Tools) > 0 || len(chat.ToolChoice) > 0 {
		if err := need(c.Tools, "tools"); err != nil {
			return err
		}
	}
	if chat.ParallelToolCalls != nil {
		if err := need(c.ParallelToolCalls, "parallel_tool_calls"); err != nil {
			return err
		}
	}
	for _, m := range chat.Messages {
		for _, p := range m.Content.Parts {
			switch p.Type {
			case "image_url":
				if err := need(c.Images, "image inputs"); err != nil {
					return err
				}
			case "file":
				if err := need(c.Files, "file inputs"); err != nil {
					return err
				}
			}
		}
	}
	switch responseFormatType(chat.ResponseFormat) {
	case "json_object":
		if err := need(c.JSONMode || c.StructuredOutputs, "response_format json_object"); err != nil {
			return err
		}
	case "json_schema":
		if err := need(c.StructuredOutputs, "response_format json_schema"); err != nil {
			return err
		}
	}
	if len(chat.Reasoning) > 0 || chat.ReasoningEffort != "" {
		if err := need(c.Reasoning, "reasoning"); err != nil {
			return err
		}
	}
	for _, p := range c.Dropped {
		if openai.HasParameter(chat, p) {
			return need(false, p)
		}
	}
	return nil
}

func responseFormatType(raw json.RawMessage) string {
	var rf struct {
		Type string `json:"type"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &rf) != nil {
		return ""
	}
	return rf.Type
}

// Supports reports whether the adapter honours a request parameter named
// as in OpenRouter's supported_parameters.
func (c Capabilities) Supports(param string) bool {
	if slices.Contains(c.Dropped, param) {
		return false
	}
	switch param {
	case "tools", "tool_choice":
		return c.Tools
	case "parallel_tool_calls":
		return c.ParallelToolCalls
	case "response_format":
		return c.JSONMode || c.StructuredOutputs
	case "structured_outputs":
		return c.StructuredOutputs
	case "reasoning", "include_reasoning", "reasoning_effort":
		return c.Reasoning
	}
	return true
}
