package openaicompat

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// checkSequenceLikeJSON decodes the chunks of a stream in turn with
// decodeFast, templates and all, and requires the json.Decoder path, fed
// the same chunks, to give the same chunk for each chunk decodeFast takes
// and to remember the same strings. It returns, for each chunk up to one
// that ends the stream, whether it was read from the template the one
// before left.
func checkSequenceLikeJSON(t *testing.T, chunks ...[]byte) (templated []bool) {
	t.Helper()
	fast := newDecoder("test", translation{})
	slow := newDecoder("test", translation{})
	for _, data := range chunks {
		templated = append(templated, fast.tmpl.read(new(fastChunk), data))
		got, gotFinished, ok := fast.decodeFast(data)
		c, err := slow.decode(data)
		if !ok { // the json.Decoder's, as in Decode
			if _, ferr := fast.decode(data); ferr != nil || err != nil || c.failed() {
				return templated // the end of the stream
			}
			continue
		}
		if err != nil || c.failed() {
			t.Fatalf("decodeFast took %q after %q, which the json.Decoder rejects (%v)", data, chunks, err)
		}
		want, wantFinished := c.chunk(nil)
		if !reflect.DeepEqual(got, want) || gotFinished != wantFinished {
			t.Fatalf("decodeFast(%q) in %q =\n%#v, %v\nthe json.Decoder path's\n%#v, %v",
				data, chunks, got, gotFinished, want, wantFinished)
		}
		if fast.rep != slow.rep {
			t.Fatalf("after %q decodeFast remembers %+v, the json.Decoder %+v", data, fast.rep, slow.rep)
		}
	}
	return templated
}

// TestTemplate follows a chunk with another that repeats it, or nearly:
// the second is read from the first's template exactly when its bytes
// are the first's but for its string literals, and decodes as parsing it
// would.
func TestTemplate(t *testing.T) {
	const (
		openai   = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":%s},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":%s}`
		deepseek = `{"id":"d","object":"chat.completion.chunk","created":2,"model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":null,"reasoning_content":%s},"logprobs":null,"finish_reason":null}]}`
	)
	oa := func(text, pad string) string {
		return strings.Replace(strings.Replace(openai, "%s", text, 1), "%s", pad, 1)
	}
	ds := func(text string) string { return strings.Replace(deepseek, "%s", text, 1) }
	for _, tc := range []struct {
		name        string
		first, next string
		templated   bool
	}{
		{"another text", oa(`" The"`, `"abc"`), oa(`" quick"`, `"xyzzy"`), true},
		{"an empty text", oa(`"a"`, `"p"`), oa(`""`, `""`), true},
		{"escapes and runes", oa(`"a"`, `"p"`), oa(`"\u00e9\n\"quoted\" \ud83d\ude42 \\ caf\u00e9 ☃"`, `"p"`), true},
		{"invalid UTF-8", oa(`"a"`, `"p"`), oa("\"caf\xc3 \xff\"", `"p"`), true},
		{"a text that looks like the rest", oa(`"a"`, `"p"`), oa(`"a\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":\"p"`, `"p"`), true},
		{"reasoning", ds(`"let me"`), ds(`" think"`), true},
		{"the text null", oa(`"a"`, `"p"`), oa(`null`, `"p"`), false},
		{"the padding a number", oa(`"a"`, `"p"`), oa(`"b"`, `1`), false},
		{"another id", oa(`"a"`, `"p"`), strings.Replace(oa(`"b"`, `"p"`), "chatcmpl-1", "chatcmpl-2", 1), false},
		{"a finish reason", oa(`"a"`, `"p"`), strings.Replace(oa(`"b"`, `"p"`), `"finish_reason":null`, `"finish_reason":"stop"`, 1), false},
		{"white space", oa(`"a"`, `"p"`), oa(`"b" `, `"p"`), false},
		{"cut short", oa(`"a"`, `"p"`), strings.TrimSuffix(oa(`"b"`, `"p"`), `"p"}`), false},
		{"cut in the text", oa(`"a"`, `"p"`), oa(`"b`, ``)[:len(oa(`"b`, ``))-1], false},
		{"a control byte", oa(`"a"`, `"p"`), oa("\"a\tb\"", `"p"`), false},
		{"a bad escape", oa(`"a"`, `"p"`), oa(`"\x"`, `"p"`), false},
		{"more after", oa(`"a"`, `"p"`), oa(`"b"`, `"p"`) + "}", false},
		{"a text of an unexpected type", oa(`"a"`, `"p"`), oa(`["b"]`, `"p"`), false},
		// Chunks that leave no template.
		{"after a finish reason", strings.Replace(oa(`"a"`, `"p"`), `"finish_reason":null`, `"finish_reason":"stop"`, 1),
			strings.Replace(oa(`"b"`, `"p"`), `"finish_reason":null`, `"finish_reason":"stop"`, 1), false},
		{"after usage", strings.Replace(oa(`"a"`, `"p"`), `"usage":null`, `"usage":{"prompt_tokens":1}`, 1),
			strings.Replace(oa(`"b"`, `"p"`), `"usage":null`, `"usage":{"prompt_tokens":1}`, 1), false},
		{"after two texts", `{"choices":[{"delta":{"reasoning":"a","content":"b"}}]}`, `{"choices":[{"delta":{"reasoning":"c","content":"d"}}]}`, false},
		{"after no text", `{"choices":[{"delta":{"content":null}}],"id":"a"}`, `{"choices":[{"delta":{"content":null}}],"id":"b"}`, false},
		{"after too many literals", `{"a":"1","b":"2","c":"3","d":"4","choices":[{"delta":{"content":"x"}}]}`,
			`{"a":"1","b":"2","c":"3","d":"4","choices":[{"delta":{"content":"y"}}]}`, false},
		{"after a long chunk", oa(`"`+strings.Repeat("a", maxTemplate)+`"`, `"p"`), oa(`"b"`, `"p"`), false},
		{"after a declined chunk", `{"choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"b"}}]}`,
			`{"choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"c"}}]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			templated := checkSequenceLikeJSON(t, []byte(tc.first), []byte(tc.next))
			if templated[1] != tc.templated {
				t.Errorf("read from the template: %v, want %v", templated[1], tc.templated)
			}
		})
	}
}

// TestTemplateDialects checks that the text chunks of every dialect's
// stream after the first are read from a template, and decode as parsing
// them would.
func TestTemplateDialects(t *testing.T) {
	for d := providertest.OpenAI; d <= providertest.Together; d++ {
		datas := streamData(providertest.StreamBody(d, providertest.WithReplyChunks("a", "b", "c", "d")))
		templated := 0
		for _, ok := range checkSequenceLikeJSON(t, datas...) {
			if ok {
				templated++
			}
		}
		if templated < 2 {
			t.Errorf("dialect %d: %d chunks read from a template, want at least 2 of the 4 text chunks", d, templated)
		}
	}
}

// TestTemplateSequence runs a stream whose chunks take turns at leaving
// and matching templates.
func TestTemplateSequence(t *testing.T) {
	chunks := [][]byte{
		[]byte(`{"id":"s","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`),
		[]byte(`{"id":"s","choices":[{"index":0,"delta":{"content":"a"}}]}`),
		[]byte(`{"id":"s","choices":[{"index":0,"delta":{"content":"b"}}]}`),
		[]byte(`{"id":"t","choices":[{"index":0,"delta":{"content":"c"}}]}`),
		[]byte(`{"id":null,"choices":[{"index":0,"delta":{"content":"d"}}]}`),
		[]byte(`{"id":null,"choices":[{"index":0,"delta":{"content":"e"}}]}`),
		[]byte(`{"id":"s","choices":[{"index":0,"delta":{"content":"f"}}]}`),
		[]byte(`{"id":"s","choices":[{"index":0,"delta":{"content":"g"},"finish_reason":"stop"}]}`),
		[]byte(`{"id":"s","choices":[{"index":0,"delta":{"content":"h"}}]}`),
		[]byte(`{"id":"s","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":8}}`),
	}
	got := checkSequenceLikeJSON(t, chunks...)
	want := []bool{false, false, true, false, false, true, false, false, false, false}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read from templates: %v, want %v", got, want)
	}
}

func FuzzTemplate(f *testing.F) {
	for i, s := range fastChunks {
		f.Add(s, fastChunks[(i+1)%len(fastChunks)])
		f.Add(s, strings.Replace(s, `"x"`, `"y\u0041"`, 1))
	}
	f.Add(string(benchChunk), string(bytes.Replace(benchChunk, []byte(`" word"`), []byte(`"\"}"`), 1)))
	f.Fuzz(func(t *testing.T, first, next string) {
		checkSequenceLikeJSON(t, bytes.TrimSpace([]byte(first)), bytes.TrimSpace([]byte(next)))
	})
}
