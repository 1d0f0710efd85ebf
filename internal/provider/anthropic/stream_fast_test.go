package anthropic

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// checkFastLikeJSON reads data with fastDelta and, if it takes it,
// requires json.Unmarshal to fill an event the same. It reports whether
// fastDelta took it.
func checkFastLikeJSON(t *testing.T, data []byte) bool {
	t.Helper()
	d := newDecoder("test", 0, decodeOptions{})
	var got event
	if !d.fastDelta(data, &got) {
		return false
	}
	var want event
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("fastDelta took %q, which json.Unmarshal rejects: %v", data, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fastDelta(%q) = %+v (delta %+v), json.Unmarshal %+v (delta %+v)", data, got, got.Delta, want, want.Delta)
	}
	return true
}

// fastEvents are content_block_delta events of the usual shapes, which
// fastDelta must take.
var fastEvents = []string{
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" word"}}`,
	`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"San Fra"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me solve this step by step:\n\n1. First"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}`,
	`{"delta":{"text":"keys in another order","type":"text_delta"},"index":12,"type":"content_block_delta"}`,
	` { "type" : "content_block_delta" , "index" : -0 , "delta" : { "type" : "text_delta" , "text" : "spaced" } } `,
	`{"type":"content_block_delta","delta":{"type":"text_delta","text":"no index"}}`,
	`{"type":"content_block_delta","index":0,"delta":{}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\u00e9\n\"quoted\" \ud83d\ude42 \ud800 lone"}}`,
	"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"caf\xc3\xa9 invalid \xff\"}}",
	`{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","text":""}}`,
}

// slowEvents are events fastDelta leaves to json.Unmarshal, valid or not.
var slowEvents = []string{
	// Other events.
	`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}`,
	`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
	`{"type":"content_block_stop","index":0}`,
	`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":18}}`,
	`{"type":"message_stop"}`, `{"type":"ping"}`, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
	// Shapes it does not read.
	`{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","stop_reason":null}}`,
	`{"type":"content_block_delta","index":0,"delta":null}`, `{"type":"content_block_delta","index":0}`,
	`{"type":"content_block_delta","index":null,"delta":{"type":"text_delta","text":"x"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":null,"text":"x"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"},"usage":null}`,
	`{"type":"content_block_d\u0065lta","index":0,"delta":{"type":"text_delta","text":"x"}}`,
	// Keys encoding/json matches despite their case or spelling.
	`{"Type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}`,
	`{"type":"content_block_delta","Index":0,"delta":{"type":"text_delta","text":"x"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","Text":"x"}}`,
	`{"type":"content_block_delta","index":0,"\u0064elta":{"type":"text_delta","text":"x"}}`,
	// Repeated keys.
	`{"type":"content_block_delta","index":0,"index":1,"delta":{"type":"text_delta","text":"x"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","text":"b"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"},"delta":{"text":"b"}}`,
	// Numbers encoding/json will not put in an int, or that are not JSON.
	`{"type":"content_block_delta","index":1.0,"delta":{"text":"x"}}`, `{"type":"content_block_delta","index":1e0,"delta":{"text":"x"}}`,
	`{"type":"content_block_delta","index":12345678901234567890,"delta":{"text":"x"}}`,
	`{"type":"content_block_delta","index":01,"delta":{"text":"x"}}`, `{"type":"content_block_delta","index":-,"delta":{"text":"x"}}`,
	`{"type":"content_block_delta","index":"0","delta":{"text":"x"}}`,
	// Wrong types and invalid JSON.
	`{"type":"content_block_delta","index":0,"delta":{"text":5}}`, `{"type":"content_block_delta","index":0,"delta":[]}`,
	``, `{`, `{"type":"content_block_delta"`, `{"type":"content_block_delta",}`, `{"type" "content_block_delta"}`,
	`{"type":"content_block_delta","delta":{"text":"x"}}x`, `{"type":"content_block_delta","delta":{"text":"x",}}`,
	`{"type":"content_block_delta","delta":{"text":"a` + "\t" + `b"}}`, `{"type":"content_block_delta","delta":{"text":"\x"}}`,
	`[]`, `null`, `"content_block_delta"`,
}

func TestFastDeltaLikeJSON(t *testing.T) {
	for _, data := range fastEvents {
		if !checkFastLikeJSON(t, []byte(data)) {
			t.Errorf("fastDelta declined a usual event: %s", data)
		}
	}
	for _, data := range slowEvents {
		if checkFastLikeJSON(t, []byte(data)) {
			t.Errorf("fastDelta took %s", data)
		}
	}
}

// TestFastDeltaTakesRecordedStreams checks every event of the recorded
// streams of testdata/conformance: fastDelta agrees with json.Unmarshal,
// and takes each of their content_block_delta events.
func TestFastDeltaTakesRecordedStreams(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*"))
	if err != nil {
		t.Fatal(err)
	}
	deltas := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			data, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("data:"))
			if !ok {
				continue
			}
			data = bytes.TrimSpace(data)
			took := checkFastLikeJSON(t, data)
			if bytes.Contains(data, []byte(`"content_block_delta"`)) {
				deltas++
				if !took {
					t.Errorf("%s: fastDelta declined %s", f, data)
				}
			}
		}
	}
	if deltas == 0 {
		t.Log("no content_block_delta in the recorded streams")
	}
}

func FuzzFastDelta(f *testing.F) {
	for _, s := range append(append([]string{}, fastEvents...), slowEvents...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		checkFastLikeJSON(t, bytes.TrimSpace([]byte(data)))
	})
}

// TestFastDeltaAllocs pins what fastDelta allocates for a text delta: its
// text, nothing else.
func TestFastDeltaAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	d := newDecoder("allocs", 0, decodeOptions{})
	data := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" word"}}`)
	allocs := testing.AllocsPerRun(100, func() {
		var e event
		if !d.fastDelta(data, &e) {
			t.Fatal("declined")
		}
	})
	if allocs > 1 {
		t.Errorf("%v allocations to read a text delta, want at most 1", allocs)
	}
}
