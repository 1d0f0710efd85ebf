package tokenize

import (
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// pinned holds counts computed once with tiktoken-go and checked against
// OpenAI's tiktoken where noted.
var pinned = []struct {
	text          string
	o200k, cl100k int
}{
	{"", 0, 0},
	{"hello world", 2, 2},
	{"Hello, world!", 4, 4},
	{"The quick brown fox jumps over the lazy dog.", 10, 10},
	{"人工智能正在改变世界。", 6, 12},
	{"😀🎉👍🏽", 6, 11},
	{"<|endoftext|>", 7, 7}, // ordinary text, not the special token
	{"func main() {\n\tfmt.Println(\"hi\")\n}\n", 10, 10},
	{"user", 1, 1},
	{"get_weather", 2, 2},
	{`{"city":"Paris"}`, 5, 5},
}

func TestPinnedCounts(t *testing.T) {
	c := New()
	for _, tc := range pinned {
		if got := c.o200k.count(tc.text); got != tc.o200k {
			t.Errorf("o200k_base %q = %d, want %d", tc.text, got, tc.o200k)
		}
		if got := c.cl100k.count(tc.text); got != tc.cl100k {
			t.Errorf("cl100k_base %q = %d, want %d", tc.text, got, tc.cl100k)
		}
	}
}

// TestTokenIDs checks the loaded files against ids published by OpenAI's
// tiktoken, so a wrong or truncated embedded file cannot pass.
func TestTokenIDs(t *testing.T) {
	c := New()
	for _, tc := range []struct {
		enc  *encoder
		want []int
	}{
		{&c.cl100k, []int{15339, 1917}},
		{&c.o200k, []int{24912, 2375}},
	} {
		tk, err := tc.enc.load()
		if err != nil {
			t.Fatalf("%s: %v", tc.enc.name, err)
		}
		if got := tk.EncodeOrdinary("hello world"); !slices.Equal(got, tc.want) {
			t.Errorf("%s: hello world = %v, want %v", tc.enc.name, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	c := New()
	const s = "The quick brown fox jumps over the lazy dog." // 44 bytes, 10 tokens
	cjk := strings.Repeat("人工智能正在改变世界。", 3)                  // 99 bytes, 36 cl100k tokens
	for _, tc := range []struct {
		family, text string
		want         int
	}{
		{"GPT", s, 10},
		{"gpt", s, 10},
		{"Claude", s, 13},    // ceil(10 × 1.25) = 13 > ceil(44/4) = 11
		{"Llama3", s, 13},    // every unshipped family is scaled alike
		{"", s, 13},          // unknown family too
		{"Mistral", cjk, 45}, // ceil(36 × 1.25)
		{"Claude", "   ", 2}, // 1 cl100k token scaled: ceil(1 × 1.25)
		{"Claude", strings.Repeat("a", 4000), 1000}, // the byte floor wins
		{"GPT", "", 0},
		{"Claude", "", 0},
	} {
		if got := c.Text(tc.family, tc.text); got != tc.want {
			t.Errorf("Text(%q, %.20q) = %d, want %d", tc.family, tc.text, got, tc.want)
		}
	}
}

func TestEncoding(t *testing.T) {
	c := New()
	for _, tc := range []struct {
		family string
		name   string
		exact  bool
	}{
		{"GPT", O200kBase, true},
		{"Claude", CL100kBase, false},
		{"Other", CL100kBase, false},
	} {
		name, exact := c.Encoding(tc.family)
		if name != tc.name || exact != tc.exact {
			t.Errorf("Encoding(%q) = %s, %v; want %s, %v", tc.family, name, exact, tc.name, tc.exact)
		}
	}
}

// corpus is varied text: prose, source code, JSON, CJK, Cyrillic, Arabic,
// emoji, whitespace runs and pathological runs.
func corpus(t testing.TB) map[string]string {
	t.Helper()
	src, err := os.ReadFile("chunk.go")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"english": strings.Repeat("Switchyard routes each request to an endpoint that serves the model, and charges the account exactly. ", 50),
		"code":    string(src),
		"python":  strings.Repeat("def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n    return a + b\n\n", 40),
		"json":    strings.Repeat(`{"role": "user", "content": [{"type": "text", "text": "hi"}]}, `, 40),
		"chinese": strings.Repeat("人工智能正在改变世界，我们需要确保每一分钱都被准确计算。", 40),
		"rare":    strings.Repeat("鬱龘齉 ", 100),
		"korean":  strings.Repeat("안녕하세요 세계, 반갑습니다. ", 60),
		"russian": strings.Repeat("Привет, мир! Как дела? ", 60),
		"arabic":  strings.Repeat("مرحبا بالعالم ", 60),
		"emoji":   strings.Repeat("😀🎉👍🏽👨‍👩‍👧‍👦🦜🪿 ok ", 60),
		"spaces":  "a" + strings.Repeat(" ", 5000) + "b\n\n\n" + strings.Repeat("\t", 3000),
	}
}

// TestChunksExact checks that chunking does not change the count of text
// with ordinary word boundaries, and that text with runs longer than maxRun
// (unspaced CJK, whitespace runs) is counted high rather than low, by at most
// a token per cut.
func TestChunksExact(t *testing.T) {
	c := New()
	for name, text := range corpus(t) {
		for _, enc := range []*encoder{&c.o200k, &c.cl100k} {
			tk, err := enc.load()
			if err != nil {
				t.Fatal(err)
			}
			whole := len(tk.EncodeOrdinary(text))
			got := enc.count(text)
			switch name {
			case "chinese", "spaces":
				if cuts := len(text) / maxRun; got < whole || got > whole+cuts {
					t.Errorf("%s %s: chunked %d, whole %d, %d cuts", enc.name, name, got, whole, cuts)
				}
			default:
				if got != whole {
					t.Errorf("%s %s: chunked %d, whole %d", enc.name, name, got, whole)
				}
			}
		}
	}
}

func TestChunksCover(t *testing.T) {
	for _, text := range []string{"", "a", " a ", strings.Repeat("x", 1000), strings.Repeat("word ", 3000), strings.Repeat("人", 500)} {
		var parts []string
		for ch := range chunks(text) {
			if len(ch) > chunkSize+maxRun+4 {
				t.Errorf("chunk of %d bytes", len(ch))
			}
			parts = append(parts, ch)
		}
		if got := strings.Join(parts, ""); got != text {
			t.Errorf("chunks of %.20q do not rejoin", text)
		}
	}
}

// TestPathological checks that long runs without word boundaries are still
// counted, and not below their unchunked count by more than a token per cut.
func TestPathological(t *testing.T) {
	c := New()
	tk, err := c.cl100k.load()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{strings.Repeat("a", 3000), strings.Repeat("人", 1000), strings.Repeat("=", 3000)} {
		whole := len(tk.EncodeOrdinary(text))
		cuts := len(text) / maxRun
		if got := c.cl100k.count(text); got < whole-cuts || got > whole+cuts {
			t.Errorf("%.10q×: chunked %d, whole %d, %d cuts", text, got, whole, cuts)
		}
	}
}

// TestRatios cross-checks counts against byte lengths: at most 1.25 tokens
// per byte (a token per byte, scaled for estimated families) and, except
// for whitespace runs, at least one per eight.
func TestRatios(t *testing.T) {
	c := New()
	for name, text := range corpus(t) {
		for _, family := range []string{"GPT", "Claude"} {
			n := c.Text(family, text)
			if n > ceilDiv(len(text)*EstimateNum, EstimateDen) || (name != "spaces" && n < len(text)/8) {
				t.Errorf("%s %s: %d tokens for %d bytes", family, name, n, len(text))
			}
		}
	}
}

func TestEstimate(t *testing.T) {
	c := New()
	for name, text := range corpus(t) {
		switch name {
		case "spaces", "json":
			continue // whitespace runs cost almost nothing; JSON is dense ASCII (see Estimate)
		}
		real := c.cl100k.count(text)
		if est := Estimate(text); est < real {
			t.Errorf("%s: Estimate %d < cl100k_base %d", name, est, real)
		}
		if est, real := Estimate(text), c.o200k.count(text); est < real {
			t.Errorf("%s: Estimate %d < o200k_base %d", name, est, real)
		}
	}
	for _, tc := range []struct {
		text string
		want int
	}{
		{"", 0}, {"a", 1}, {"abc", 1}, {"abcd", 2}, {"人", 3}, {"a人", 4},
	} {
		if got := Estimate(tc.text); got != tc.want {
			t.Errorf("Estimate(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func TestConcurrent(t *testing.T) {
	c := New() // fresh, so the lazy loads race too
	texts := corpus(t)
	want := map[string]int{}
	for name, text := range texts {
		want[name] = New().Text("GPT", text) + New().Text("Claude", text)
	}
	var wg sync.WaitGroup
	for range 8 {
		for name, text := range texts {
			wg.Go(func() {
				if got := c.Text("GPT", text) + c.Text("Claude", text); got != want[name] {
					t.Errorf("%s: concurrent %d, want %d", name, got, want[name])
				}
			})
		}
	}
	wg.Wait()
}

func TestDefault(t *testing.T) {
	if Default() != Default() {
		t.Error("Default returns different counters")
	}
}
