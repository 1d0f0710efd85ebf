package classify

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// loadEval reads the evaluation set.
func loadEval(t testing.TB) []example {
	t.Helper()
	data, err := os.ReadFile("testdata/eval.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	exs, err := parseExamples(data)
	if err != nil {
		t.Fatalf("testdata/eval.jsonl: %v", err)
	}
	return exs
}

// loadTrain reads the embedded training corpus.
func loadTrain(t testing.TB) []example {
	t.Helper()
	exs, err := parseExamples(trainingData)
	if err != nil {
		t.Fatalf("train.jsonl: %v", err)
	}
	return exs
}

// loadLexicon parses the embedded lexicon.
func loadLexicon(t testing.TB) []example {
	t.Helper()
	lex, err := parseLexicon(lexiconData)
	if err != nil {
		t.Fatalf("lexicon.txt: %v", err)
	}
	return lex
}

// confusion counts predictions per true category: [true][predicted].
type confusion [numCategories][numCategories]int

func (m *confusion) add(want, got Category) { m[want.index()][got.index()]++ }

func (m *confusion) accuracy() float64 {
	var right, all int
	for i := range m {
		for j, n := range m[i] {
			all += n
			if i == j {
				right += n
			}
		}
	}
	return float64(right) / float64(all)
}

// String is one line per true category: its recall, its precision and
// where its misses went.
func (m *confusion) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %5s %6s %9s  %s\n", "category", "n", "recall", "precision", "misclassified as")
	for i, row := range m {
		var n int
		var misses []string
		for j, k := range row {
			n += k
			if j != i && k > 0 {
				misses = append(misses, fmt.Sprintf("%s×%d", categories[j], k))
			}
		}
		var predicted int
		for r := range m {
			predicted += m[r][i]
		}
		fmt.Fprintf(&b, "%-14s %5d %5.0f%% %8.0f%%  %s\n", categories[i], n,
			100*float64(row[i])/float64(max(n, 1)), 100*float64(row[i])/float64(max(predicted, 1)),
			strings.Join(misses, " "))
	}
	return b.String()
}

// TestEvalAccuracy measures the default model on the evaluation set, which
// it was not trained or tuned on, and fails below 80%.
func TestEvalAccuracy(t *testing.T) {
	var m confusion
	for _, ex := range loadEval(t) {
		m.add(ex.Category, Classify(ex.Prompt))
	}
	acc := m.accuracy()
	t.Logf("accuracy %.1f%% on testdata/eval.jsonl\n%s", 100*acc, &m)
	if acc < 0.80 {
		t.Errorf("accuracy %.3f, want >= 0.80", acc)
	}
}

func BenchmarkClassify(b *testing.B) {
	exs := loadEval(b)
	Classify("") // train the default model outside the timed loop
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Classify(exs[i%len(exs)].Prompt)
	}
}

// BenchmarkClassifyLong classifies a prompt far beyond the bytes read (all
// the evaluation prompts in one): the worst case, as the cost per prompt is
// bounded.
func BenchmarkClassifyLong(b *testing.B) {
	var sb strings.Builder
	for _, ex := range loadEval(b) {
		sb.WriteString(ex.Prompt)
		sb.WriteString("\n\n")
	}
	text := sb.String()
	Classify("")
	b.ReportAllocs()
	for b.Loop() {
		Classify(text)
	}
}

// TestExcerpt checks that an excerpt classifies as its text does, short
// or long (cut inside a word or a character too), and holds a copy of at
// most what Classify reads.
func TestExcerpt(t *testing.T) {
	texts := []string{"", "Fix this Python function, it throws a KeyError."}
	for _, ex := range loadEval(t) {
		texts = append(texts, ex.Prompt)
	}
	long := strings.Repeat("Écris un poème sur la mer, s'il te plaît. ", 200)
	for _, n := range []int{headBytes + tailBytes, headBytes + tailBytes + 1, headBytes + tailBytes + 7, len(long)} {
		texts = append(texts, long[:n], "def f(x):\n    return x\n"+long[:n])
	}
	var sb strings.Builder
	for _, s := range texts[2:] {
		sb.WriteString(s + "\n\n")
	}
	texts = append(texts, sb.String())
	for _, text := range texts {
		e := NewExcerpt(text)
		if got, want := e.Category(), Classify(text); got != want {
			t.Errorf("excerpt of %.60q… (%d bytes): %s, Classify %s", text, len(text), got, want)
		}
		if n := len(e.head) + len(e.tail); n > headBytes+tailBytes || n > len(text) {
			t.Errorf("excerpt of %d bytes holds %d", len(text), n)
		}
		if len(text) > 0 {
			start := uintptr(unsafe.Pointer(unsafe.StringData(text)))
			if p := uintptr(unsafe.Pointer(unsafe.StringData(e.head))); p >= start && p < start+uintptr(len(text)) {
				t.Errorf("the excerpt of %.40q shares its text's memory", text)
			}
		}
	}
	if allocs := testing.AllocsPerRun(10, func() { NewExcerpt(long) }); allocs != 1 {
		t.Errorf("NewExcerpt made %v allocations, want 1", allocs)
	}
}
