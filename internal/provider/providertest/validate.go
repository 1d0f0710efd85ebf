package providertest

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
)

// openAIParams are the body fields of OpenAI's CreateChatCompletionRequest
// (openai-openapi, 2026-08). OpenAI rejects any other with a 400.
var openAIParams = fields(
	"model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens",
	"temperature", "top_p", "n", "stop", "seed", "frequency_penalty", "presence_penalty",
	"logit_bias", "logprobs", "top_logprobs", "response_format", "tools", "tool_choice",
	"parallel_tool_calls", "user", "safety_identifier", "metadata", "store", "service_tier",
	"reasoning_effort", "prediction", "prompt_cache_key", "prompt_cache_retention",
	"modalities", "audio", "verbosity", "web_search_options", "functions", "function_call",
)

// mistralParams are the body fields of Mistral's ChatCompletionRequest;
// Mistral answers any other with a 422 "Extra inputs are not permitted".
var mistralParams = fields(
	"model", "messages", "stream", "max_tokens", "temperature", "top_p", "n", "stop",
	"random_seed", "presence_penalty", "frequency_penalty", "response_format", "tools",
	"tool_choice", "parallel_tool_calls", "prediction", "prompt_mode", "safe_prompt",
	"reasoning_effort", "prompt_cache_key", "guardrails",
)

var mistralToolID = regexp.MustCompile(`^[a-zA-Z0-9]{9}$`)

func fields(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// reject is a request the fake's dialect refuses.
type reject struct {
	status int
	body   string
}

// validate checks req as the dialect's server would. It returns nil for an
// acceptable request.
func validate(d Dialect, req obj) *reject {
	switch d {
	case OpenAI:
		if k := unknownField(req, openAIParams); k != "" {
			return openAIError(http.StatusBadRequest, "Unrecognized request argument supplied: "+k, nil)
		}
		if _, ok := req["stream_options"]; ok && req["stream"] != true {
			return openAIError(http.StatusBadRequest,
				"The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options")
		}
	case Mistral:
		if k := unknownField(req, mistralParams); k != "" {
			return &reject{http.StatusUnprocessableEntity, string(marshal(obj{"detail": []obj{{
				"type": "extra_forbidden", "loc": []string{"body", k},
				"msg": "Extra inputs are not permitted", "input": req[k],
			}}}))}
		}
		if id, ok := badToolCallID(req); ok {
			return &reject{http.StatusBadRequest, string(marshal(obj{
				"object":  "error",
				"message": fmt.Sprintf("Tool call id was %s but must be a-z, A-Z, 0-9, with a length of 9.", id),
				"type":    "invalid_request_error", "param": nil, "code": nil,
			}))}
		}
	}
	return nil
}

func openAIError(status int, msg string, param any) *reject {
	return &reject{status, string(marshal(obj{"error": obj{
		"message": msg, "type": "invalid_request_error", "param": param, "code": nil,
	}}))}
}

// unknownField returns the first (sorted) field of req not in known.
func unknownField(req obj, known map[string]bool) string {
	var bad []string
	for k := range req {
		if !known[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	sort.Strings(bad)
	return bad[0]
}

// badToolCallID finds a tool-call id in the messages that Mistral refuses.
func badToolCallID(req obj) (string, bool) {
	msgs, _ := req["messages"].([]any)
	for _, m := range msgs {
		msg, _ := m.(obj)
		if id, ok := msg["tool_call_id"].(string); ok && !mistralToolID.MatchString(id) {
			return id, true
		}
		calls, _ := msg["tool_calls"].([]any)
		for _, c := range calls {
			call, _ := c.(obj)
			if id, _ := call["id"].(string); !mistralToolID.MatchString(id) {
				return id, true
			}
		}
	}
	return "", false
}
