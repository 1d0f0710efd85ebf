package openai

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// direct are bodies DecodeChatRequest reads without encoding/json's help
// for the messages: every shape a client commonly sends.
var direct = []string{
	`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
	string(chatRequestJSON(1 << 10)),
	" \n{ \"messages\" : [ { \"role\" : \"system\" , \"content\" : \"be brief\" } ,\t{\"content\":\"q\",\"role\":\"user\"} ] , \"model\" : \"m\" }\r\n",
	`{"messages":[],"model":"m"}`,
	`{"messages":[{"role":"user","content":null},{"role":null,"content":"x","name":null}]}`,
	`{"messages":[{"role":"user","content":"tab\tnew\nline \"q\" \u00e9 \ud83d\ude42 <&> \u2028"}]}`,
	`{"messages":[{"role":"user","content":"lone \ud83d surrogate"}]}`,
	"{\"messages\":[{\"role\":\"user\",\"content\":\"invalid \xff utf-8 and \xe6\x97\xa5\"}]}",
	`{"messages":[{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"https://x/a.png","detail":"low"}}]}]}`,
	`{"messages":[{"role":"user","content":[]}]}`,
	`{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\":1}"}}],"refusal":"no","reasoning":"because","reasoning_details":[ {"type":"reasoning.text","text":"t"} ]},{"role":"tool","tool_call_id":"call_1","content":"18C","name":"get"}]}`,
	`{"messages":[{"role":"user","content":"x","unknown":{"deep":[1,2.5e-3,-0,true,false,null,"s"]},"extra":-12.5E+3}]}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.7,"max_tokens":64,"stop":["a","b"],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"auto","response_format":{ "type" : "json_object" },"provider":{"order":["a"],"allow_fallbacks":false},"reasoning":{"effort":"high"},"stream":true,"stream_options":{"include_usage":true},"unknown_top":[{}],"User":"other"}`,
	`{"model":null,"stream":false,"max_tokens":null,"max_completion_tokens":256,"temperature":0,"top_p":1e-3,"messages":[]}`,
	`{"stream":null,"temperature":-1.5E2,"top_p":-0,"max_tokens":-7,"messages":[],"n":2,"seed":-1}`,
	`{"messages":[{"role":"developer","content":"d"},{"role":"assistant","content":"a"},{"role":"function","content":"f","name":"n"}]}`,
	`{"messages":[{"role":"us\u0065r","content":"escaped role"}]}`,
}

// fallback are bodies DecodeChatRequest leaves to json.Unmarshal: invalid
// JSON, wrong types, and shapes the direct reading does not take.
var fallback = []string{
	``, ` `, `null`, `[]`, `"s"`, `{`, `{"messages":[}`, `{"messages":[{"role":"user","content":"x"}]} x`,
	`{"messages":[{"role":"user","content":"x"}],}`, `{"messages":[{"role":"user","content":"x",}]}`,
	`{"messages":[{"role":"user","content":"x"}] "model":"m"}`, `{"model":"m" , }`,
	`{"messages":null}`, `{"messages":{}}`, `{"messages":"x"}`, `{"messages":[null]}`, `{"messages":[1]}`,
	`{"messages":[{"role":1}]}`, `{"messages":[{"role":"user","content":1}]}`, `{"messages":[{"content":{"a":1}}]}`,
	`{"messages":[{"role":"user","content":[1]}]}`, `{"messages":[{"role":"user","tool_calls":"x"}]}`,
	`{"messages":[{"role":"user","role":"system"}]}`, `{"messages":[{"content":"a","content":"b"}]}`,
	`{"messages":[{"Role":"user"}]}`, `{"messages":[{"CONTENT":"x"}]}`, `{"messages":[{"ro\u006ce":"user"}]}`,
	`{"messages":[],"messages":[]}`, `{"Messages":[]}`, `{"me\u0073sages":[]}`, "{\"messageſ\":[]}",
	`{"model":1,"messages":[]}`, `{"model":"a","Model":"b","messages":[]}`, `{"MODEL":"b","model":"a"}`,
	`{"model":"a","model":"b"}`, `{"stream":"yes"}`, `{"stream":1}`, `{"max_tokens":1.5}`, `{"max_tokens":1e2}`,
	`{"max_tokens":99999999999999999999}`, `{"max_tokens":"5"}`, `{"temperature":1e400}`, `{"top_p":true}`,
	`{"max_tokens":1,"max_tokens":null}`, `{"Stream":true}`, `{"stream":tru}`, `{"top_p":-}`, `{"temperature":"hot","messages":[]}`, `{"messages":[],"provider":[]}`,
	`{"messages":[{"role":"user","content":"bad \x escape"}]}`, "{\"messages\":[{\"role\":\"user\",\"content\":\"raw\ncontrol\"}]}",
	`{"messages":[{"role":"user","content":"x"}],"n":01}`, `{"messages":[],"n":1.}`, `{"messages":[],"n":-}`,
	`{"messages":[],"n":1e}`, `{"messages":[],"x":tru}`, `{"messages":[],"x":nul}`,
	`{"messages":[{"x":` + strings.Repeat("[", 1200) + strings.Repeat("]", 1200) + `}]}`,
}

// decodeBoth decodes body with DecodeChatRequest and with json.Unmarshal
// and fails unless both give the same request and the same error.
func decodeBoth(t *testing.T, body string) {
	t.Helper()
	var got, want ChatRequest
	gotErr := DecodeChatRequest([]byte(body), &got)
	wantErr := json.Unmarshal([]byte(body), &want)
	if errText(gotErr) != errText(wantErr) || reflect.TypeOf(gotErr) != reflect.TypeOf(wantErr) {
		t.Fatalf("%q: error %v, want %v", body, gotErr, wantErr)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(wantErr, &typeErr) {
		var got *json.UnmarshalTypeError
		if !errors.As(gotErr, &got) || got.Field != typeErr.Field || got.Offset != typeErr.Offset {
			t.Fatalf("%q: type error %+v, want %+v", body, got, typeErr)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decoded\n%+v\nwant\n%+v", body, got, want)
	}
}

func TestDecodeChatRequestLikeUnmarshal(t *testing.T) {
	for _, body := range append(append([]string{}, direct...), fallback...) {
		decodeBoth(t, body)
	}
}

// TestDecodeChatRequestDirect checks which bodies are read directly, so
// that a reader that gave up on everything would not pass for correct.
func TestDecodeChatRequestDirect(t *testing.T) {
	for _, body := range direct {
		if !decodeChat([]byte(body), new(ChatRequest)) {
			t.Errorf("%q was left to encoding/json", body)
		}
	}
	for _, body := range fallback {
		if decodeChat([]byte(body), new(ChatRequest)) {
			t.Errorf("%q was read directly", body)
		}
	}
}

// TestDecodeChatRequestResets checks that the request decoded into is
// reset first, whichever way it is decoded.
func TestDecodeChatRequestResets(t *testing.T) {
	for _, body := range []string{direct[0], `{"messages":[{"role":"user","content":"x","content":"y"}]}`} {
		req := ChatRequest{User: "stale", Messages: []Message{{Role: "system", Name: "stale"}, {}}}
		if err := DecodeChatRequest([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		if req.User != "" || len(req.Messages) != 1 || req.Messages[0].Name != "" {
			t.Errorf("%q: stale fields survived: %+v", body, req)
		}
	}
}

func FuzzDecodeChatRequest(f *testing.F) {
	for _, body := range direct {
		f.Add(body)
	}
	for _, body := range fallback {
		if len(body) < 200 {
			f.Add(body)
		}
	}
	f.Fuzz(func(t *testing.T, body string) { decodeBoth(t, body) })
}

// TestDecodeChatRequestOwnStrings checks that the strings other than text
// content are copies, so that keeping one (a usage record keeps the model)
// does not keep the whole body.
func TestDecodeChatRequestOwnStrings(t *testing.T) {
	body := []byte(`{"model":"vendor/model","messages":[{"role":"user","name":"ann","content":"hi"},` +
		`{"role":"tool","tool_call_id":"call_1","content":"18C"},{"role":"assistant","reasoning":"r","content":null}]}`)
	var req ChatRequest
	if err := DecodeChatRequest(body, &req); err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'X'
	}
	m := req.Messages
	if req.Model != "vendor/model" || m[0].Role != "user" || m[0].Name != "ann" || m[1].ToolCallID != "call_1" || m[2].Reasoning != "r" {
		t.Errorf("strings changed with the body: %+v", req)
	}
}
