package classify

import (
	_ "embed"
	"strings"
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

// Excerpt is what Classify reads of a prompt's text, copied: what a
// record keeps to be classified later, away from the request that sent
// it, without holding on to the request's body.
type Excerpt struct{ head, tail string }

// NewExcerpt returns text's excerpt: at most 2.5 KiB, in one allocation.
func NewExcerpt(text string) Excerpt {
	head, tail := cut(text)
	if tail == "" {
		return Excerpt{head: strings.Clone(head)}
	}
	both := head + tail // a new string: neither is empty
	return Excerpt{head: both[:len(head)], tail: both[len(head):]}
}

// Category is the task category of the text e was taken from: what
// Classify returns for that text.
func (e Excerpt) Category() Category {
	return defaultModel().classifyCut(e.head, e.tail)
}
