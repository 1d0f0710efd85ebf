package openai

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseStop(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{"null", nil, ""},
		{" null ", nil, ""},
		{`"END"`, []string{"END"}, ""},
		{`["a","b"]`, []string{"a", "b"}, ""},
		{`[]`, []string{}, ""},
		{`"unterminated`, nil, "stop: unexpected end of JSON input"},
		{`3`, nil, "stop must be a string or an array of strings"},
		{`["a",1]`, nil, "stop must be a string or an array of strings"},
		{`{"a":1}`, nil, "stop must be a string or an array of strings"},
	} {
		got, err := ParseStop(json.RawMessage(tc.raw))
		if !reflect.DeepEqual(got, tc.want) || errText(err) != tc.wantErr {
			t.Errorf("ParseStop(%s) = %q, %v; want %q, %q", tc.raw, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseToolChoice(t *testing.T) {
	const shapeErr = `tool_choice: expected a string or {"type":"function","function":{"name":…}}`
	for _, tc := range []struct {
		raw     string
		want    *ToolChoice
		wantErr string
	}{
		{"", nil, ""},
		{"null", nil, ""},
		{`"auto"`, &ToolChoice{Mode: ToolChoiceAuto}, ""},
		{`"none"`, &ToolChoice{Mode: ToolChoiceNone}, ""},
		{` "required" `, &ToolChoice{Mode: ToolChoiceRequired}, ""},
		{`{"type":"function","function":{"name":"get"}}`, &ToolChoice{Mode: ToolChoiceFunction, Name: "get"}, ""},
		{`"any"`, nil, `tool_choice: unsupported value "any"`},
		{`"bad`, nil, "tool_choice: unexpected end of JSON input"},
		{`{"type":"function","function":{}}`, nil, shapeErr},
		{`{"type":"tool","function":{"name":"get"}}`, nil, shapeErr},
		{`[1]`, nil, shapeErr},
		{`7`, nil, shapeErr},
	} {
		got, err := ParseToolChoice(json.RawMessage(tc.raw))
		if !reflect.DeepEqual(got, tc.want) || errText(err) != tc.wantErr {
			t.Errorf("ParseToolChoice(%s) = %+v, %v; want %+v, %q", tc.raw, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestToolArguments(t *testing.T) {
	const objErr = "function arguments are not a JSON object"
	for _, tc := range []struct {
		args, want, wantErr string
	}{
		{"", "{}", ""},
		{" \n\t", "{}", ""},
		{`{"a":1}`, `{"a":1}`, ""},
		{"  {\"a\":[1,2]} \n", `{"a":[1,2]}`, ""},
		{`[1]`, "", objErr},
		{`"s"`, "", objErr},
		{`null`, "", objErr},
		{`{"a":`, "", objErr},
		{`{} {}`, "", objErr},
	} {
		got, err := ToolArguments(tc.args)
		if string(got) != tc.want || errText(err) != tc.wantErr {
			t.Errorf("ToolArguments(%q) = %s, %v; want %s, %q", tc.args, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseDataURL(t *testing.T) {
	for _, tc := range []struct {
		url, mediaType, data string
		ok                   bool
	}{
		{"data:image/png;base64,iVBORw0K", "image/png", "iVBORw0K", true},
		{"data:;base64,AAAA", "", "AAAA", true},
		{"data:image/png;base64,", "image/png", "", true},
		{"data:image/png;base64,a,b", "image/png", "a,b", true},
		{"data:image/png,rawtext", "", "", false},
		{"data:image/png;base64", "", "", false},
		{"https://example.com/a.png", "", "", false},
		{"", "", "", false},
	} {
		mt, data, ok := ParseDataURL(tc.url)
		if mt != tc.mediaType || data != tc.data || ok != tc.ok {
			t.Errorf("ParseDataURL(%q) = %q, %q, %v; want %q, %q, %v", tc.url, mt, data, ok, tc.mediaType, tc.data, tc.ok)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
