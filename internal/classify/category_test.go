package classify

import (
	"slices"
	"testing"
)

func TestCategories(t *testing.T) {
	want := []string{"programming", "roleplay", "marketing", "marketing/seo", "technology", "science",
		"translation", "legal", "finance", "health", "trivia", "academia", "other"}
	if len(Categories) != len(want) {
		t.Fatalf("len(Categories) = %d, want %d", len(Categories), len(want))
	}
	for i, c := range Categories {
		if c.String() != want[i] {
			t.Errorf("Categories[%d] = %q, want %q", i, c, want[i])
		}
		if got, ok := Parse(want[i]); !ok || got != c {
			t.Errorf("Parse(%q) = %q, %v", want[i], got, ok)
		}
		if c.DisplayName() == "" || c.DisplayName() == c.String() {
			t.Errorf("%q has display name %q", c, c.DisplayName())
		}
	}
	if MarketingSEO.DisplayName() != "Marketing/SEO" {
		t.Errorf("MarketingSEO.DisplayName() = %q", MarketingSEO.DisplayName())
	}
	for _, s := range []string{"", "Programming", "marketing/", "seo", "other "} {
		if Valid(s) {
			t.Errorf("Valid(%q) = true", s)
		}
		if _, ok := Parse(s); ok {
			t.Errorf("Parse(%q) ok", s)
		}
	}
}

// TestConcurrent classifies from several goroutines at once (run with
// -race) and checks every answer against a sequential run.
func TestConcurrent(t *testing.T) {
	exs := loadEval(t)
	want := make([]Category, len(exs))
	for i, ex := range exs {
		want[i] = Classify(ex.Prompt)
	}
	done := make(chan []Category)
	for range 4 {
		go func() {
			got := make([]Category, len(exs))
			for i, ex := range exs {
				got[i] = Classify(ex.Prompt)
			}
			done <- got
		}()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got, want) {
			t.Error("concurrent results differ from sequential ones")
		}
	}
}

// TestDeterministicTraining trains twice (map iteration order differs
// between runs) and expects identical models.
func TestDeterministicTraining(t *testing.T) {
	a := train(loadTrain(t), loadLexicon(t), defaultParams)
	b := train(loadTrain(t), loadLexicon(t), defaultParams)
	if !slices.Equal(a.keys, b.keys) || !slices.Equal(a.rows, b.rows) || !slices.Equal(a.w, b.w) || a.prior != b.prior {
		t.Error("two trainings on the same data differ")
	}
	if len(a.w)/numCategories > maxFeatures {
		t.Errorf("%d features, more than maxFeatures", len(a.w)/numCategories)
	}
}

func TestNoEvidenceIsOther(t *testing.T) {
	for _, s := range []string{"", "   ", "zzqxv qqwj", "\x00\x01"} {
		if got := Classify(s); got != Other {
			t.Errorf("Classify(%q) = %q, want other", s, got)
		}
	}
}
