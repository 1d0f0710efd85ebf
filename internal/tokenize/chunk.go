package tokenize

import (
	"iter"
	"unicode"
	"unicode/utf8"
)

// tiktoken's byte-pair merge is quadratic in the length of one pre-token
// (one regex match: a run of letters, of punctuation, of whitespace), and its
// encoder converts the whole text to runes. A prompt of 100,000 "a"s would
// take minutes. chunks bounds both.
const (
	// chunkSize is the length in bytes past which a chunk ends at the next
	// split point.
	chunkSize = 4 << 10
	// maxRun is the longest stretch in bytes without a split point kept
	// whole; a longer one is cut at a rune boundary. The cut can change the
	// count by about a token (a merge across it is lost), so only text that
	// has no word boundary for maxRun bytes, such as base64 or long runs of
	// unspaced CJK, is counted slightly high, never low by more than the
	// rare merge a cut creates.
	maxRun = 256
)

// chunks yields substrings of text (no copies) whose concatenation is text.
// Each chunk except the last ends just before a split point: a space with
// non-space on both sides. Both o200k_base and cl100k_base pre-tokenizers
// start a new pre-token at such a space (only whitespace-only pre-tokens
// contain a space after their first byte, and one of those cannot contain
// the non-space before it), and their regexes look ahead only across
// whitespace, so encoding the chunks separately gives exactly the tokens of
// encoding text whole. Stretches longer than maxRun without a split point
// are the exception, see maxRun.
func chunks(text string) iter.Seq[string] {
	return func(yield func(string) bool) {
		start, lastSplit := 0, 0
		for i := 1; i < len(text); i++ {
			switch {
			case text[i] == ' ' && isSplit(text, i):
				lastSplit = i
				if i-start < chunkSize {
					continue
				}
			case i-lastSplit >= maxRun && utf8.RuneStart(text[i]):
				lastSplit = i
			default:
				continue
			}
			if !yield(text[start:i]) {
				return
			}
			start = i
		}
		yield(text[start:])
	}
}

// isSplit reports whether the space at text[i] has a non-space rune on
// either side.
func isSplit(text string, i int) bool {
	before, _ := utf8.DecodeLastRuneInString(text[:i])
	after, _ := utf8.DecodeRuneInString(text[i+1:])
	return i+1 < len(text) && !unicode.IsSpace(before) && !unicode.IsSpace(after)
}
