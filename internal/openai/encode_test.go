package openai

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// encoded is what a json.Encoder with SetEscapeHTML(false) writes for v,
// but for the HTML escapes Content.MarshalJSON makes: AppendJSON leaves
// them out of content as of every other field. (The test values spell no
// such escape themselves.)
func encoded(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	unescape := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")
	return unescape.Replace(strings.TrimSuffix(b.String(), "\n"))
}

// TestAppendMessagesJSONLikeEncoder holds AppendMessagesJSON to
// encoding/json for messages built in code (no decoded literal to copy),
// with every field set and each left out.
func TestAppendMessagesJSONLikeEncoder(t *testing.T) {
	idx := 0
	full := Message{
		Role: "assistant", Content: TextContent("<b>\"hi\"</b> & \u2028 \xff é\n"), Name: "n<>",
		ToolCalls:  []ToolCall{{Index: &idx, ID: "call_1", Type: "function", Function: FunctionCall{Name: "f", Arguments: `{"a":"<&>"}`}}},
		ToolCallID: "call_0", Refusal: Ptr("refused <x>"), Reasoning: "think\t<>",
		ReasoningDetails: json.RawMessage("[ {\"type\": \"reasoning.text\",\n \"text\":\"<t>\"} ]"),
	}
	for _, msgs := range [][]Message{
		nil, {},
		{full},
		{{Role: "user"}, {Role: "user", Content: PartsContent()}, {Role: "user", Refusal: Ptr("")}},
		{{Role: "user", Content: PartsContent(
			ContentPart{Type: "text", Text: "look <here>", CacheControl: json.RawMessage(`{ "type":"ephemeral" }`)},
			ContentPart{Type: "image_url", ImageURL: &ImageURL{URL: "https://x/a.png?a=1&b=2", Detail: "low"}},
			ContentPart{Type: "input_audio", InputAudio: json.RawMessage(`{"data":"AAAA","format":"wav"}`)},
		)}},
		{{Role: "system", Content: TextContent("")}, {Role: "tool", ToolCallID: "c", Content: TextContent("18C")}},
	} {
		got, err := AppendMessagesJSON([]byte("x"), msgs)
		if err != nil {
			t.Fatal(err)
		}
		if want := "x" + encoded(t, msgs); string(got) != want {
			t.Errorf("AppendMessagesJSON:\n%s\nwant\n%s", got, want)
		}
	}
}

// TestAppendJSONCopiesDecodedText checks that text content decoded from
// JSON is written as the client wrote it while it is unchanged, and
// encoded again once it is changed or was not decoded exactly.
func TestAppendJSONCopiesDecodedText(t *testing.T) {
	for _, tc := range []struct {
		literal string
		copied  bool
	}{
		{`"plain text"`, true},
		{`"<b>\"escaped\"</b>\n\u00e9\/\ud83d\ude42 \u2028"`, true},
		{"\"é raw \u2028\"", true},
		{`"lone \ud83d"`, false},
		{"\"invalid \xff\"", false},
	} {
		var m Message
		if err := json.Unmarshal([]byte(`{"role":"user","content":`+tc.literal+`}`), &m); err != nil {
			t.Fatal(err)
		}
		got, err := m.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := MessagesJSONSize([]Message{m}, false); n < len(got)+2 {
			t.Errorf("%s: MessagesJSONSize = %d, under the %d bytes written", tc.literal, n, len(got)+2)
		}
		reencoded := encoded(t, Message{Role: "user", Content: TextContent(m.Content.Text)})
		if want := `{"role":"user","content":` + tc.literal + `}`; tc.copied && string(got) != want {
			t.Errorf("%s: wrote %s, want the literal copied: %s", tc.literal, got, want)
		}
		if !tc.copied && string(got) != reencoded {
			t.Errorf("%s: wrote %s, want it encoded again: %s", tc.literal, got, reencoded)
		}
		var back Message
		if err := json.Unmarshal(got, &back); err != nil || back.Content.Text != m.Content.Text {
			t.Errorf("%s: %s reads back as %q, %v; want %q", tc.literal, got, back.Content.Text, err, m.Content.Text)
		}
		if b, err := m.Content.MarshalJSON(); err != nil || tc.copied && string(b) != tc.literal {
			t.Errorf("%s: MarshalJSON wrote %s, %v", tc.literal, b, err)
		}

		m.Content.Text += "!"
		got, _ = m.AppendJSON(nil)
		if want := encoded(t, Message{Role: "user", Content: TextContent(m.Content.Text)}); string(got) != want {
			t.Errorf("%s changed: wrote %s, want %s", tc.literal, got, want)
		}
	}
}

// TestDecodedContentEqualsBuilt checks that a decoded text content is the
// same text as one built with TextContent, whatever it keeps besides.
func TestDecodedContentEqualsBuilt(t *testing.T) {
	var c Content
	if err := c.UnmarshalJSON([]byte(`"a\nb"`)); err != nil {
		t.Fatal(err)
	}
	if c.Text != "a\nb" || c.IsNull() || c.IsParts() || c.PlainText() != "a\nb" {
		t.Errorf("decoded %+v", c)
	}
	built := TextContent("a\nb")
	if !reflect.DeepEqual(c.Parts, built.Parts) || c.Text != built.Text {
		t.Errorf("decoded %+v, built %+v", c, built)
	}
}
