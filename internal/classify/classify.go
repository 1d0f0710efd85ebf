package classify

import (
	_ "embed"
	"sync"
)

// trainingData is the training corpus, one JSON object per line.
//
//go:embed train.jsonl
var trainingData []byte

// lexiconData is the hand-written domain vocabulary.
//
//go:embed lexicon.txt
var lexiconData string

// defaultModel is trained once, on first use, from the embedded corpus
// (a few milliseconds), and never modified afterwards.
var defaultModel = sync.OnceValue(func() *model {
	exs, err := parseExamples(trainingData)
	if err != nil {
		// The corpus is compiled in and checked by the tests.
		panic("classify: embedded training corpus: " + err.Error())
	}
	lex, err := parseLexicon(lexiconData)
	if err != nil {
		panic("classify: embedded lexicon: " + err.Error())
	}
	return train(exs, lex, defaultParams)
})

// Classify returns the task category of a prompt: the concatenated text of
// its system and user messages. It reads at most the first 2 KiB and the
// last 512 bytes of text, allocates nothing, and is safe for concurrent use.
// A prompt with no evidence for any category is Other.
func Classify(text string) Category {
	return defaultModel().classify(text)
}
