package classify

import (
	"slices"
	"strings"
	"testing"
)

// featuresOf returns the features eachFeature emits for text.
func featuresOf(text string) []uint64 {
	var fs []uint64
	eachFeature(text, func(h uint64) { fs = append(fs, h) })
	return fs
}

func word(w string) uint64 { return featuresOf(w)[0] }

func TestStem(t *testing.T) {
	// Each group must share one stem; the groups must differ.
	groups := [][]string{
		{"translate", "translated", "translates", "translating", "translation", "translations"},
		{"invest", "invests", "invested", "investing", "investment", "investments"},
		{"optimize", "optimized", "optimizing", "optimization"},
		{"run", "running", "runs"},
		{"strategy", "strategies"},
		{"legal", "legally"},
		{"clinic", "clinical", "clinics"},
		{"leg", "legs"},
		{"class", "classes"},
		{"bus"},
		{"cat", "cats"},
	}
	stems := map[string]string{}
	for _, g := range groups {
		want := string(stem([]byte(g[0])))
		for _, w := range g[1:] {
			if got := string(stem([]byte(w))); got != want {
				t.Errorf("stem(%q) = %q, want %q like %q", w, got, want, g[0])
			}
		}
		if other, dup := stems[want]; dup {
			t.Errorf("%q and %q share the stem %q", g[0], other, want)
		}
		stems[want] = g[0]
	}
}

func TestFeatures(t *testing.T) {
	has := func(text string, f uint64) bool { return slices.Contains(featuresOf(text), f) }
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"case and inflection fold", word("Translations") == word("translate")},
		{"apostrophe dropped", word("don't") == word("dont") && word("don’t") == word("dont")},
		{"distinct words differ", word("legal") != word("medical")},
		{"numbers by length", word("2023") == featNum4 && word("7") == featNum2},
		{"word pair", has("meta description", bigram(word("meta"), word("description")))},
		{"hyphen joins a pair", has("long-tail", bigram(word("long"), word("tail")))},
		{"punctuation breaks a pair", !has("meta. description", bigram(word("meta"), word("description")))},
		{"camelCase", has("call useEffect here", featCamel) && !has("Call it here", featCamel)},
		{"indented line", has("x\n    return y", featIndent) && !has("x\nreturn y", featIndent)},
		{"code punctuation", has("call f();", featuresOf("();")[0]) && !has("call f(x);", featuresOf("();")[0])},
		{"accented word", has("Übersetze bitte", featLatinExt)},
		{"Cyrillic", has("Переведи", featCyrillic)},
		{"Chinese characters", has("翻译成英文", featHan) && has("翻译", mix(seedRune^uint64('译')))},
		{"Japanese kana", has("ありがとう", featKana)},
		{"Korean", has("감사합니다", featHangul)},
		{"emoji", has("summer 🍹", featEmoji)},
	} {
		if !tc.ok {
			t.Errorf("%s: false", tc.name)
		}
	}
}

// TestBounded checks that only the head and tail of a long prompt count:
// replacing everything between them changes nothing.
func TestBounded(t *testing.T) {
	m := defaultModel()
	head := strings.Repeat("Fix this Python function, it throws a KeyError. ", 100)[:headBytes]
	tail := strings.Repeat("Translate the error into German please. ", 30)[:tailBytes]
	a := head + strings.Repeat("The tenant sued the landlord for the deposit. ", 300) + tail
	b := head + strings.Repeat("Quiz me on the capital of Peru! ", 20) + tail
	scores := func(text string) [numCategories]float32 { s, _ := m.scores(cut(text)); return s }
	if scores(a) != scores(b) {
		t.Errorf("scores depend on the middle of a long prompt")
	}
	// The head and tail themselves do count.
	if scores(a) == scores("x"+a[1:]) {
		t.Errorf("scores ignore the head")
	}
	if scores(a) == scores(a[:len(a)-tailBytes]+strings.Repeat("Write a poem about the sea at night. ", 30)[:tailBytes]) {
		t.Errorf("scores ignore the tail")
	}
}

func TestAllocs(t *testing.T) {
	Classify("") // train outside the measurement
	long := strings.Repeat("def f(x):\n    return x  # 翻译 Übersetze 🍹\n", 500)
	for _, text := range []string{"", "hello", loadEval(t)[0].Prompt, long} {
		if n := testing.AllocsPerRun(20, func() { Classify(text) }); n != 0 {
			t.Errorf("Classify(%.20q…) allocates %v times, want 0", text, n)
		}
	}
}

func FuzzFeatures(f *testing.F) {
	for _, ex := range loadEval(f)[:40] {
		f.Add(ex.Prompt)
	}
	f.Add("\xff\xfe{{char}}*smiles*\t\tx\n  \u2019'-")
	f.Fuzz(func(t *testing.T, text string) {
		n := len(featuresOf(text))
		// At most a few features per byte read, whatever the input.
		if read := min(len(text), headBytes+tailBytes); n > 4*read {
			t.Errorf("%d features from %d bytes", n, read)
		}
		if c := Classify(text); !Valid(string(c)) {
			t.Errorf("Classify returned %q", c)
		}
	})
}
