package cohere

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

func mustChat(t *testing.T, body string) *openai.ChatRequest {
	t.Helper()
	var c openai.ChatRequest
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// wire is the translated body, decoded generically.
func wire(t *testing.T, c *openai.ChatRequest, stream bool) map[string]any {
	t.Helper()
	before, _ := json.Marshal(c)
	r, err := translate(&provider.Request{Chat: c, UpstreamModel: "command-x"}, stream)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := json.Marshal(c); string(after) != string(before) {
		t.Fatalf("translate modified the request:\n%s\n%s", before, after)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonOf(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

func TestTranslate(t *testing.T) {
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}},"strict":true}},
		{"type":"function","function":{"name":"now"}}]`
	tests := []struct {
		name string
		in   string
		// want holds the expected value of each listed top-level key, as JSON;
		// "-" means absent.
		want map[string]string
	}{
		{
			name: "sampling",
			in: `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":100,"max_tokens":5,"temperature":0.3,"top_p":0.9,"top_k":40,
				"stop":"END","seed":7,"frequency_penalty":0.1,"presence_penalty":0.2}`,
			want: map[string]string{"model": `"command-x"`, "max_tokens": `100`, "temperature": `0.3`, "p": `0.9`, "k": `40`,
				"stop_sequences": `["END"]`, "seed": `7`, "frequency_penalty": `0.1`, "presence_penalty": `0.2`, "stream": `false`,
				"tools": "-", "tool_choice": "-", "response_format": "-", "top_p": "-"},
		},
		{
			name: "messages",
			in: `{"messages":[{"role":"system","content":"be nice"},{"role":"developer","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
				{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]},
				{"role":"assistant","content":null,"reasoning":"plan","tool_calls":[{"id":"get_weather_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"SF\"}"}}]},
				{"role":"tool","tool_call_id":"get_weather_1","content":"{\"temp\":20}"},
				{"role":"assistant","content":"It is 20."}],"stop":["a","b"]}`,
			want: map[string]string{"messages": `[
				{"role":"system","content":"be nice"},
				{"role":"system","content":"a\nb"},
				{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]},
				{"role":"assistant","tool_plan":"plan","tool_calls":[{"id":"get_weather_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"SF\"}"}}]},
				{"role":"tool","tool_call_id":"get_weather_1","content":"{\"temp\":20}"},
				{"role":"assistant","content":"It is 20."}]`, "stop_sequences": `["a","b"]`},
		},
		{
			name: "tools auto",
			in:   `{"messages":[{"role":"user","content":"hi"}],` + tools + `,"tool_choice":"auto"}`,
			want: map[string]string{"tools": `[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}},
				{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}]`, "tool_choice": "-"},
		},
		{
			name: "tool_choice none",
			in:   `{"messages":[{"role":"user","content":"hi"}],` + tools + `,"tool_choice":"none"}`,
			want: map[string]string{"tool_choice": `"NONE"`},
		},
		{
			name: "tool_choice required",
			in:   `{"messages":[{"role":"user","content":"hi"}],` + tools + `,"tool_choice":"required"}`,
			want: map[string]string{"tool_choice": `"REQUIRED"`},
		},
		{
			name: "tool_choice named",
			in:   `{"messages":[{"role":"user","content":"hi"}],` + tools + `,"tool_choice":{"type":"function","function":{"name":"now"}}}`,
			want: map[string]string{"tool_choice": `"REQUIRED"`, "tools": `[{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}]`},
		},
		{
			name: "json_object",
			in:   `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}`,
			want: map[string]string{"response_format": `{"type":"json_object"}`},
		},
		{
			name: "json_schema",
			in:   `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}}}}}}`,
			want: map[string]string{"response_format": `{"type":"json_object","json_schema":{"type":"object","properties":{"a":{"type":"string"}}}}`},
		},
		{
			name: "text format",
			in:   `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"text"}}`,
			want: map[string]string{"response_format": "-"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := wire(t, mustChat(t, tt.in), false)
			for k, w := range tt.want {
				got, ok := m[k]
				if w == "-" {
					if ok {
						t.Errorf("%s = %v, want absent", k, got)
					}
					continue
				}
				if !reflect.DeepEqual(got, jsonOf(t, w)) {
					g, _ := json.Marshal(got)
					t.Errorf("%s = %s\nwant %s", k, g, w)
				}
			}
		})
	}
}

func TestTranslateStream(t *testing.T) {
	m := wire(t, mustChat(t, `{"messages":[{"role":"user","content":"hi"}]}`), true)
	if m["stream"] != true {
		t.Errorf("stream = %v", m["stream"])
	}
}

func TestTranslateErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"role", `{"messages":[{"role":"wizard","content":"x"}]}`, "unsupported role"},
		{"tool without id", `{"messages":[{"role":"tool","content":"x"}]}`, "tool_call_id"},
		{"tool call without id", `{"messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]}`, "id and function name"},
		{"part type", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}`, "unsupported content part"},
		{"stop", `{"messages":[],"stop":5}`, "stop must be"},
		{"tool_choice value", `{"messages":[],"tool_choice":"sometimes"}`, "unsupported value"},
		{"tool_choice unknown tool", `{"messages":[],"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function","function":{"name":"b"}}}`, "not among the tools"},
		{"response_format", `{"messages":[],"response_format":{"type":"xml"}}`, "unsupported type"},
		{"json_schema without schema", `{"messages":[],"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}`, "without schema"},
		{"non-function tool", `{"messages":[],"tools":[{"type":"web_search"}]}`, "function tools"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := translate(&provider.Request{Chat: mustChat(t, tt.in), UpstreamModel: "m"}, false)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := translate(&provider.Request{}, false); err == nil {
		t.Error("nil chat accepted")
	}
}
