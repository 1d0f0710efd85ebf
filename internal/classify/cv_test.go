package classify

import (
	"os"
	"testing"
)

// crossValidate returns the k-fold cross-validated confusion matrix of
// params p on the training prompts exs (the lexicon is in every fold's
// training). Fold i holds the prompts whose position is i mod k.
func crossValidate(exs, lex []example, p params, k int) *confusion {
	var m confusion
	for fold := range k {
		var tr, te []example
		for i, ex := range exs {
			if i%k == fold {
				te = append(te, ex)
			} else {
				tr = append(tr, ex)
			}
		}
		mod := train(tr, lex, p)
		for _, ex := range te {
			m.add(ex.Category, mod.classify(ex.Prompt))
		}
	}
	return &m
}

// TestCrossValidation reports the 5-fold cross-validated accuracy of
// defaultParams on the training corpus: the figure the parameters were
// chosen on.
func TestCrossValidation(t *testing.T) {
	m := crossValidate(loadTrain(t), loadLexicon(t), defaultParams, 5)
	t.Logf("5-fold cross-validated accuracy %.1f%% on train.jsonl\n%s", 100*m.accuracy(), m)
	if m.accuracy() < 0.80 {
		t.Errorf("cross-validated accuracy %.3f, want >= 0.80", m.accuracy())
	}
}

// TestTune is the grid search that chose defaultParams, on the training
// corpus only. Run it with CLASSIFY_TUNE=1 go test -run TestTune -v.
func TestTune(t *testing.T) {
	if os.Getenv("CLASSIFY_TUNE") == "" {
		t.Skip("set CLASSIFY_TUNE=1 to run the grid search")
	}
	exs, lex := loadTrain(t), loadLexicon(t)
	for _, a := range []float64{0.1, 0.2, 0.5, 1} {
		for _, md := range []float64{1, 2} {
			for _, ob := range []float64{0, 1, 2, 3} {
				for _, lw := range []float64{0, 1, 2, 4, 8, 12} {
					p := params{alpha: a, minDocs: md, otherBias: ob, lexWeight: lw}
					m := crossValidate(exs, lex, p, 5)
					t.Logf("alpha=%.1f minDocs=%.0f other=%.1f lex=%.1f cv=%.3f", a, md, ob, lw, m.accuracy())
				}
			}
		}
	}
}
