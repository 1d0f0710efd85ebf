package bedrock

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider"
)

var pngBytes = []byte("\x89PNG\r\n\x1a\nfake")

// mediaServer serves the images and files requests point at.
func mediaServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/img.png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(pngBytes)
		case "/data.csv":
			w.Header().Set("Content-Type", "text/csv")
			_, _ = w.Write([]byte("a,b\n1,2\n"))
		case "/x.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			_, _ = w.Write([]byte("<svg/>"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// sent sends req through the adapter to the fake and returns the body the
// fake received, or the adapter's error.
func sent(t *testing.T, a *Adapter, c *captured, req *provider.Request) (map[string]json.RawMessage, error) {
	t.Helper()
	if _, err := a.Chat(context.Background(), req); err != nil {
		return nil, err
	}
	_, _, body := c.get()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m, nil
}

func compact(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "!" + string(raw)
	}
	return b.String()
}

func TestTranslate(t *testing.T) {
	media := mediaServer(t)
	b64 := base64.StdEncoding.EncodeToString(pngBytes)
	tools := `"tools":[{"type":"function","function":{"name":"get","description":"d","parameters":{"type":"object"}}}]`
	history := `{"role":"user","content":"q"},
		{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"get","arguments":"{\"a\":1}"}}]},
		{"role":"tool","tool_call_id":"t1","content":"42"}`
	user := `{"role":"user","content":"hi"}`
	tests := []struct {
		name  string
		model string // default: the Anthropic model
		req   string
		want  map[string]string // top-level body keys → compact JSON; "" means absent
		err   string            // a 400 containing this
	}{
		{
			name: "messagesToolsAndSampling",
			req: `{"messages":[{"role":"system","content":"be brief"},` + history + `,{"role":"user","content":"thanks"}],
				"max_tokens":100,"temperature":1.5,"top_p":0.9,"stop":"END",` + tools + `,"tool_choice":"required"}`,
			want: map[string]string{
				"messages": `[{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get","input":{"a":1}}}]},` +
					`{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"42"}]}},{"text":"thanks"}]}]`,
				"system":          `[{"text":"be brief"}]`,
				"inferenceConfig": `{"maxTokens":100,"temperature":1,"topP":0.9,"stopSequences":["END"]}`,
				"toolConfig":      `{"tools":[{"toolSpec":{"name":"get","description":"d","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}}`,
			},
		},
		{
			name: "toolChoiceAuto", req: `{"messages":[` + user + `],` + tools + `,"tool_choice":"auto"}`,
			want: map[string]string{"toolConfig": `{"tools":[{"toolSpec":{"name":"get","description":"d","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"auto":{}}}`, "inferenceConfig": ""},
		},
		{
			name: "toolChoiceNamed", req: `{"messages":[` + user + `],` + tools + `,"tool_choice":{"type":"function","function":{"name":"get"}}}`,
			want: map[string]string{"toolConfig": `{"tools":[{"toolSpec":{"name":"get","description":"d","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"get"}}}`},
		},
		{
			name: "toolCachePoint", req: `{"messages":[` + user + `],"tools":[{"type":"function","function":{"name":"get","parameters":{"type":"object"}},"cache_control":{"type":"ephemeral"}}]}`,
			want: map[string]string{"toolConfig": `{"tools":[{"toolSpec":{"name":"get","inputSchema":{"json":{"type":"object"}}}},{"cachePoint":{"type":"default"}}]}`},
		},
		{name: "toolChoiceNone", req: `{"messages":[` + user + `],` + tools + `,"tool_choice":"none"}`, want: map[string]string{"toolConfig": ""}},
		{
			name: "historyToolsWithoutTools", req: `{"messages":[` + history + `]}`,
			want: map[string]string{"toolConfig": `{"tools":[{"toolSpec":{"name":"get","inputSchema":{"json":{"type":"object"}}}}]}`},
		},
		{
			name: "historyToolsWithToolChoiceNone", req: `{"messages":[` + history + `],` + tools + `,"tool_choice":"none"}`,
			want: map[string]string{"toolConfig": `{"tools":[{"toolSpec":{"name":"get","inputSchema":{"json":{"type":"object"}}}}]}`},
		},

		// Reasoning.
		{
			name: "thinkingEffort", req: `{"messages":[` + user + `],"max_tokens":10000,"temperature":0.3,"top_p":0.5,"reasoning":{"effort":"high"}}`,
			want: map[string]string{
				"additionalModelRequestFields": `{"thinking":{"budget_tokens":8000,"type":"enabled"}}`,
				"inferenceConfig":              `{"maxTokens":10000}`,
			},
		},
		{
			name: "thinkingBudgetAboveMaxTokens", req: `{"messages":[` + user + `],"max_tokens":2000,"reasoning":{"max_tokens":5000}}`,
			want: map[string]string{
				"additionalModelRequestFields": `{"thinking":{"budget_tokens":5000,"type":"enabled"}}`,
				"inferenceConfig":              `{"maxTokens":7000}`,
			},
		},
		{
			name: "thinkingDefaults", req: `{"messages":[` + user + `],"reasoning":{"enabled":true}}`,
			want: map[string]string{
				"additionalModelRequestFields": `{"thinking":{"budget_tokens":2048,"type":"enabled"}}`,
				"inferenceConfig":              `{"maxTokens":4096}`,
			},
		},
		{
			name: "thinkingMinimumBudget", req: `{"messages":[` + user + `],"max_tokens":1000,"reasoning_effort":"low"}`,
			want: map[string]string{
				"additionalModelRequestFields": `{"thinking":{"budget_tokens":1024,"type":"enabled"}}`,
				"inferenceConfig":              `{"maxTokens":2024}`,
			},
		},
		{name: "reasoningOff", req: `{"messages":[` + user + `],"temperature":0.3,"reasoning":{"enabled":false}}`, want: map[string]string{"additionalModelRequestFields": "", "inferenceConfig": `{"temperature":0.3}`}},
		{name: "reasoningOtherFamily", model: "amazon.nova-pro-v1:0", req: `{"messages":[` + user + `],"reasoning":{"effort":"high"}}`, want: map[string]string{"additionalModelRequestFields": "", "outputConfig": ""}},
		{name: "reasoningOtherFamilyRequired", model: "amazon.nova-pro-v1:0", req: `{"messages":[` + user + `],"reasoning":{"effort":"high"},"provider":{"require_parameters":true}}`, err: "only translated for Anthropic"},
		{name: "reasoningInvalid", req: `{"messages":[` + user + `],"reasoning":{"effort":"huge"}}`, err: "reasoning.effort"},

		// Reasoning replay.
		{
			name: "reasoningReplay",
			req: `{"messages":[` + user + `,{"role":"assistant","content":"answer","reasoning":"ignored",
				"reasoning_details":[
					{"type":"reasoning.text","text":"Let me ","format":"anthropic-claude-v1","index":0},
					{"type":"reasoning.text","text":"think.","format":"anthropic-claude-v1","index":0},
					{"type":"reasoning.text","signature":"sig1","format":"anthropic-claude-v1","index":0},
					{"type":"reasoning.encrypted","data":"UkVE","format":"anthropic-claude-v1","index":1},
					{"type":"reasoning.text","text":"gemini","signature":"g","format":"google-gemini-v1","index":2},
					{"type":"reasoning.text","text":"unsigned","format":"anthropic-claude-v1","index":3}]},
				{"role":"user","content":"more"}]}`,
			want: map[string]string{"messages": `[{"role":"user","content":[{"text":"hi"}]},{"role":"assistant","content":[` +
				`{"reasoningContent":{"reasoningText":{"text":"Let me think.","signature":"sig1"}}},{"reasoningContent":{"redactedContent":"UkVE"}},{"text":"answer"}]},` +
				`{"role":"user","content":[{"text":"more"}]}]`},
		},
		{
			name: "reasoningReplayOtherFamily", model: "amazon.nova-pro-v1:0",
			req:  `{"messages":[` + user + `,{"role":"assistant","content":"answer","reasoning_details":[{"type":"reasoning.text","text":"t","signature":"s","format":"anthropic-claude-v1","index":0}]},{"role":"user","content":"more"}]}`,
			want: map[string]string{"messages": `[{"role":"user","content":[{"text":"hi"}]},{"role":"assistant","content":[{"text":"answer"}]},{"role":"user","content":[{"text":"more"}]}]`},
		},
		{name: "reasoningDetailsInvalid", req: `{"messages":[` + user + `,{"role":"assistant","content":"a","reasoning_details":{"x":1}}]}`, err: "reasoning_details"},

		// Prompt caching.
		{
			name: "cacheControl",
			req: `{"messages":[{"role":"system","content":[{"type":"text","text":"long system","cache_control":{"type":"ephemeral"}}]},
				{"role":"user","content":[{"type":"text","text":"doc","cache_control":{"type":"ephemeral","ttl":"1h"}},{"type":"text","text":"question"}]},
				{"role":"assistant","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}}]}]}`,
			want: map[string]string{
				"system":   `[{"text":"long system"},{"cachePoint":{"type":"default"}}]`,
				"messages": `[{"role":"user","content":[{"text":"doc"},{"cachePoint":{"type":"default","ttl":"1h"}},{"text":"question"}]},{"role":"assistant","content":[{"text":"a"},{"cachePoint":{"type":"default"}}]}]`,
			},
		},

		{
			name: "cacheControlOnToolResult",
			req: `{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"get","arguments":"{}"}}]},
				{"role":"tool","tool_call_id":"t1","content":[{"type":"text","text":"big result","cache_control":{"type":"ephemeral"}}]}],` + tools + `}`,
			want: map[string]string{"messages": `[{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get","input":{}}}]},` +
				`{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"big result"}]}},{"cachePoint":{"type":"default"}}]}]`},
		},

		// Structured outputs.
		{
			name: "jsonSchema", req: `{"messages":[` + user + `],"response_format":{"type":"json_schema","json_schema":{"name":"person","description":"d","strict":true,"schema":{"type":"object", "properties":{"n":{"type":"string"}}}}}}`,
			want: map[string]string{
				"outputConfig": `{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"string\"}}}","name":"person","description":"d"}}}}`,
				"toolConfig":   "",
			},
		},
		{
			name: "jsonObject", req: `{"messages":[` + user + `],"response_format":{"type":"json_object"}}`,
			want: map[string]string{"toolConfig": `{"tools":[{"toolSpec":{"name":"json_response","description":"Respond with the answer as a JSON object.","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"json_response"}}}`},
		},
		{
			name: "jsonObjectWithHistoryTools", req: `{"messages":[` + history + `],"response_format":{"type":"json_object"}}`,
			want: map[string]string{"toolConfig": `{"tools":[{"toolSpec":{"name":"json_response","description":"Respond with the answer as a JSON object.","inputSchema":{"json":{"type":"object"}}}},` +
				`{"toolSpec":{"name":"get","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"json_response"}}}`},
		},
		{name: "text", req: `{"messages":[` + user + `],"response_format":{"type":"text"}}`, want: map[string]string{"toolConfig": "", "outputConfig": ""}},
		{name: "jsonObjectWithTools", req: `{"messages":[` + user + `],` + tools + `,"response_format":{"type":"json_object"}}`, err: "cannot be combined with tools"},
		{name: "jsonObjectWithThinking", req: `{"messages":[` + user + `],"reasoning":{"effort":"low"},"response_format":{"type":"json_object"}}`, err: "cannot be combined with reasoning"},
		{name: "jsonSchemaWithoutSchema", req: `{"messages":[` + user + `],"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}`, err: "json_schema.schema"},
		{name: "unknownFormat", req: `{"messages":[` + user + `],"response_format":{"type":"yaml"}}`, err: "response_format type"},

		// Images and documents.
		{
			name: "images", req: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/"}},{"type":"image_url","image_url":{"url":"` + media + `/img.png"}}]}]}`,
			want: map[string]string{"messages": `[{"role":"user","content":[{"image":{"format":"jpeg","source":{"bytes":"/9j/"}}},{"image":{"format":"png","source":{"bytes":"` + b64 + `"}}}]}]`},
		},
		{name: "imageUnsupportedType", req: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + media + `/x.svg"}}]}]}`, err: `unsupported image type "image/svg+xml"`},
		{name: "imageUnreachable", req: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + media + `/missing.png"}}]}]}`, err: "404"},
		{name: "imageInAssistant", req: `{"messages":[` + user + `,{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}}]}]}`, err: "only supported in user messages"},
		{
			name: "documents",
			req: `{"messages":[{"role":"user","content":[
				{"type":"file","file":{"filename":"My_report  v2.pdf","file_data":"data:application/pdf;base64,JVBERg=="}},
				{"type":"file","file":{"filename":"My report-v2.pdf","file_data":"data:application/pdf;base64,JVBERg=="}},
				{"type":"file","file":{"filename":"table (1).csv","file_data":"` + media + `/data.csv"}},
				{"type":"file","file":{"filename":"notes.md","file_data":"data:application/octet-stream;base64,IyBo"}},
				{"type":"file","file":{"filename":"...","file_data":"data:text/plain;base64,aGk="}},
				{"type":"text","text":"summarise"}]}]}`,
			want: map[string]string{"messages": `[{"role":"user","content":[` +
				`{"document":{"format":"pdf","name":"My report v2","source":{"bytes":"JVBERg=="}}},` +
				`{"document":{"format":"pdf","name":"My report-v2","source":{"bytes":"JVBERg=="}}},` +
				`{"document":{"format":"csv","name":"table (1)","source":{"bytes":"` + base64.StdEncoding.EncodeToString([]byte("a,b\n1,2\n")) + `"}}},` +
				`{"document":{"format":"md","name":"notes","source":{"bytes":"IyBo"}}},` +
				`{"document":{"format":"txt","name":"document txt","source":{"bytes":"aGk="}}},` +
				`{"text":"summarise"}]}]`},
		},
		{name: "documentDuplicateNames", req: `{"messages":[{"role":"user","content":[{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERg=="}},{"type":"file","file":{"filename":"a.txt","file_data":"data:text/plain;base64,aGk="}}]}]}`,
			want: map[string]string{"messages": `[{"role":"user","content":[{"document":{"format":"pdf","name":"a","source":{"bytes":"JVBERg=="}}},{"document":{"format":"txt","name":"a (2)","source":{"bytes":"aGk="}}}]}]`}},
		{name: "documentUnsupported", req: `{"messages":[{"role":"user","content":[{"type":"file","file":{"filename":"a.zip","file_data":"data:application/zip;base64,UEs="}}]}]}`, err: "unsupported document type"},
		{name: "documentFileID", req: `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, err: "file_id is not supported"},

		// require_parameters.
		{name: "requireDropped", req: `{"messages":[` + user + `],"logit_bias":{"1":2},"provider":{"require_parameters":true}}`, err: "logit_bias"},
		{name: "requireParallel", req: `{"messages":[` + user + `],` + tools + `,"parallel_tool_calls":false,"provider":{"require_parameters":true}}`, err: "parallel_tool_calls"},
		{name: "requireSatisfied", req: `{"messages":[` + user + `],` + tools + `,"reasoning":{"effort":"low"},"provider":{"require_parameters":true}}`, want: map[string]string{"additionalModelRequestFields": `{"thinking":{"budget_tokens":1024,"type":"enabled"}}`}},
		{name: "droppedWithoutRequire", req: `{"messages":[` + user + `],"logit_bias":{"1":2},"seed":3}`, want: map[string]string{"messages": `[{"role":"user","content":[{"text":"hi"}]}]`}},
		{name: "noMessages", req: `{"messages":[{"role":"system","content":"s"}]}`, err: "at least one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := fake(t, 200, nil, []byte(okBody))
			a := newTest(t, srv.URL, "key")
			m := tt.model
			if m == "" {
				m = model
			}
			body, err := sent(t, a, c, chatReqFor(t, m, tt.req))
			if tt.err != "" {
				var pe *provider.Error
				if !errors.As(err, &pe) || pe.Status != 400 || pe.Type != "invalid_request" || !strings.Contains(pe.Message, tt.err) {
					t.Fatalf("err = %v, want a 400 with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if got := compact(body[k]); got != want {
					t.Errorf("%s:\n got  %s\n want %s", k, got, want)
				}
			}
		})
	}
}

// TestPrivateImageRefused checks that the default media fetcher guards
// the operator's network: an image on a loopback address is a 400.
func TestPrivateImageRefused(t *testing.T) {
	media := mediaServer(t)
	srv, _ := fake(t, 200, nil, []byte(okBody))
	a := newTest(t, srv.URL, "key")
	a.media = nil // media.Default
	_, err := a.Chat(context.Background(), chatReq(t, `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"`+media+`/img.png"}}]}]}`))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Status != 400 || !strings.Contains(pe.Message, "not a public internet address") {
		t.Fatalf("err = %v", err)
	}
}
