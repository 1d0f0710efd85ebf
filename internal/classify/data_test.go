package classify

import (
	"strings"
	"testing"
)

// TestEvalSetShape checks the evaluation set's size and coverage.
func TestEvalSetShape(t *testing.T) {
	exs := loadEval(t)
	if len(exs) < 300 {
		t.Errorf("eval set has %d prompts, want >= 300", len(exs))
	}
	var per [numCategories]int
	for _, ex := range exs {
		per[ex.Category.index()]++
	}
	for i, n := range per {
		if n < 18 {
			t.Errorf("eval set has %d %s prompts, want >= 18", n, categories[i])
		}
	}
	if n := len(loadTrain(t)); n < 600 {
		t.Errorf("training corpus has %d prompts, want >= 600", n)
	}
}

// words returns the set of lowercase alphanumeric words of s, for
// comparing prompts.
func words(s string) map[string]bool {
	set := map[string]bool{}
	for w := range strings.FieldsFuncSeq(strings.ToLower(s), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r > 0x7f)
	}) {
		set[w] = true
	}
	return set
}

// jaccard is |a ∩ b| / |a ∪ b|.
func jaccard(a, b map[string]bool) float64 {
	var both int
	for w := range a {
		if b[w] {
			both++
		}
	}
	union := len(a) + len(b) - both
	if union == 0 {
		return 1
	}
	return float64(both) / float64(union)
}

// TestNoOverlap checks that no evaluation prompt is in the training corpus
// or the lexicon, not even reworded slightly: no pair of prompts shares
// more than 70% of its words (Jaccard similarity of word sets), and no
// prompt is repeated within either set.
func TestNoOverlap(t *testing.T) {
	train, eval := loadTrain(t), loadEval(t)
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

	seen := map[string]string{}
	for _, ex := range train {
		k := norm(ex.Prompt)
		if _, dup := seen[k]; dup {
			t.Errorf("training prompt repeated: %.60q", ex.Prompt)
		}
		seen[k] = "train"
	}
	for _, ex := range loadLexicon(t) {
		seen[norm(ex.Prompt)] = "lexicon"
	}
	for _, ex := range eval {
		k := norm(ex.Prompt)
		if where, dup := seen[k]; dup {
			t.Errorf("eval prompt also in %s: %.60q", where, ex.Prompt)
		}
		seen[k] = "eval"
	}

	trainWords := make([]map[string]bool, len(train))
	for i, ex := range train {
		trainWords[i] = words(ex.Prompt)
	}
	for _, ex := range eval {
		ew := words(ex.Prompt)
		for i, tw := range trainWords {
			if j := jaccard(ew, tw); j > 0.7 {
				t.Errorf("eval prompt %.60q is %.0f%% the same words as training prompt %.60q", ex.Prompt, 100*j, train[i].Prompt)
			}
		}
	}
}

func TestParseExamplesRejects(t *testing.T) {
	for _, in := range []string{
		`{"category":"cooking","prompt":"x"}`,
		`{"category":"other","prompt":"  "}`,
		`{"category":"other",`,
	} {
		if _, err := parseExamples([]byte(in)); err == nil {
			t.Errorf("parseExamples(%s) = nil error", in)
		}
	}
	for _, in := range []string{"[cooking]\nsoup", "soup, stew"} {
		if _, err := parseLexicon(in); err == nil {
			t.Errorf("parseLexicon(%q) = nil error", in)
		}
	}
}
