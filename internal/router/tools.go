package router

import (
	"encoding/json"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// checkToolCalls counts an answer's tool calls and the invalid ones: an
// unknown function name, or arguments that are not a JSON object (the
// tool-call error rate of issue 4; OpenRouter's InvalidJson and
// UnknownName).
func checkToolCalls(req *openai.ChatRequest, calls []openai.ToolCall) (n, invalid int) {
	for _, c := range calls {
		n++
		if !knownTool(req, c.Function.Name) || !isJSONObject(c.Function.Arguments) {
			invalid++
		}
	}
	return n, invalid
}

func knownTool(req *openai.ChatRequest, name string) bool {
	for _, t := range req.Tools {
		if t.Function != nil && t.Function.Name == name {
			return true
		}
	}
	return false
}

func isJSONObject(s string) bool {
	var v map[string]json.RawMessage
	return json.Unmarshal([]byte(s), &v) == nil
}
