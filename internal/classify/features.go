package classify

import (
	"unicode"
	"unicode/utf8"
)

// The part of a prompt the classifier reads: its first headBytes and its
// last tailBytes. The head holds the instruction or system prompt; the tail
// holds the latest user turn. Cost is bounded whatever the prompt's length:
// some 9 ns a byte, so 2.5 KiB cost 23 µs of a long prompt's request. The
// model learnt from prompts of under 1 KB (the median is 80 bytes); 2.5 KiB
// is some 400 words, and past the instruction a long prompt is mostly
// pasted material, which says less about the task than the instruction.
const (
	headBytes = 2048
	tailBytes = 512
)

// FNV-1a, 64-bit.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// maxWord is the length at which a word is cut.
const maxWord = 32

// Seeds that keep the feature kinds apart: a word, a punctuation run and a
// single character of an unspaced script never share a hash.
const (
	seedWord  uint64 = fnvOffset
	seedPunct uint64 = fnvOffset ^ 0x9e3779b97f4a7c15
	seedRune  uint64 = fnvOffset ^ 0xc2b2ae3d27d4eb4f
)

// Fixed features: numbers by length, code layout and scripts.
const (
	featNum2     uint64 = iota + 1 // 1–2 digits
	featNum3                       // 3 digits
	featNum4                       // 4 digits (often a year)
	featNum5                       // 5+ digits
	featCamel                      // a camelCase identifier
	featIndent                     // a line indented by a tab or 2+ spaces
	featLatinExt                   // a word with accented Latin letters
	featCyrillic
	featGreek
	featArabic
	featHebrew
	featIndic
	featHan
	featKana
	featHangul
	featThai
	featOtherScript
	featEmoji
	numFixed
)

// mix is splitmix64's finaliser; it spreads a combined hash.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// hashWord is the feature of a word.
func hashWord(w []byte) uint64 {
	h := seedWord
	for _, b := range w {
		h = (h ^ uint64(b)) * fnvPrime
	}
	return mix(h)
}

// bigram is the feature of two consecutive words.
func bigram(a, b uint64) uint64 { return mix(a*31 + b) }

// eachFeature calls emit with every feature of text's head and tail, in
// order, repeats included. Features are 64-bit hashes of:
//
//   - lowercase words (letters and digits, apostrophes dropped, hyphens
//     joining) and pairs of consecutive words in the same clause;
//   - numbers, by digit count;
//   - runs of ASCII punctuation (up to 3 bytes), which carry code
//     (`{`, `();`, `=>`, "```"), roleplay (`*`, `{{`) and question marks;
//   - camelCase identifiers and indented lines;
//   - the script of non-Latin words, and each character of Chinese,
//     Japanese and Thai text, which has no spaces between words.
//
// It allocates nothing.
func eachFeature(text string, emit func(uint64)) {
	head, tail := cut(text)
	eachFeatureOf(head, tail, emit)
}

// cut returns the parts of text the classifier reads: text itself when it
// is short, else its head and its tail.
func cut(text string) (head, tail string) {
	if len(text) <= headBytes+tailBytes {
		return text, ""
	}
	return text[:headBytes], text[len(text)-tailBytes:]
}

// eachFeatureOf is eachFeature of what cut returned: each part is
// scanned afresh.
func eachFeatureOf(head, tail string, emit func(uint64)) {
	s := scanner{emit: emit}
	s.scan(head)
	if tail != "" {
		s = scanner{emit: emit}
		s.scan(tail)
	}
}

// scanner holds the state of one pass over a text.
type scanner struct {
	emit func(uint64)

	word      [maxWord]byte // the current word, lowercase, cut at maxWord bytes
	wordLen   int           // its length in bytes; 0 if not in a word
	digits    bool          // the word is only ASCII digits so far
	lower     bool          // the word has had a lowercase letter
	camel     bool          // an uppercase letter followed a lowercase one
	script    uint64        // script feature of the word's non-ASCII letters
	prev      uint64        // the previous word in the clause; 0 at a break
	punct     uint64        // running hash of the current punctuation run
	punctLen  int           // its length in bytes; 0 if not in a run
	lineStart bool          // only blanks since the last newline
	blanks    int           // blanks since the line started (a tab counts 2)
	unspaced  uint64        // script of the current run of Han, kana or Thai; 0 if none
}

// scan emits the features of t.
func (s *scanner) scan(t string) {
	s.lineStart = true
	for i := 0; i < len(t); {
		c := t[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(t[i:])
			i += size
			s.nonASCII(r)
			s.startLine()
			continue
		}
		if isAlnum(c) {
			i = s.wordRun(t, i)
			s.startLine()
			continue
		}
		i++
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			s.endWord()
			s.endPunct()
			if s.lineStart {
				if c == '\t' {
					s.blanks += 2
				} else {
					s.blanks++
				}
			}
			continue
		case c == '\n':
			s.endWord()
			s.endPunct()
			s.lineStart, s.blanks = true, 0
			continue
		case c == '\'' && s.wordLen > 0:
			// don't → dont: skip the apostrophe, stay in the word.
		case c == '-' && s.wordLen > 0 && i < len(t) && isWordByte(t[i]):
			// long-tail, e-commerce: one bigram, no punctuation.
			s.endWord()
		default:
			s.endWord()
			s.punctByte(c)
		}
		s.startLine()
	}
	s.endWord()
	s.endPunct()
}

// wordRun adds the ASCII letters and digits of t from i on to the current
// word, lowercased, and returns the index of the first other byte.
func (s *scanner) wordRun(t string, i int) int {
	s.endPunct()
	s.begin()
	for ; i < len(t); i++ {
		c := t[i]
		switch {
		case 'a' <= c && c <= 'z':
			s.lower, s.digits = true, false
		case 'A' <= c && c <= 'Z':
			if s.lower {
				s.camel = true
			}
			s.digits = false
			c += 'a' - 'A'
		case '0' <= c && c <= '9':
		default:
			return i
		}
		if s.wordLen < maxWord {
			s.word[s.wordLen] = c
		}
		s.wordLen++
	}
	return i
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// startLine notes the first non-blank of a line.
func (s *scanner) startLine() {
	if s.lineStart {
		if s.blanks >= 2 {
			s.emit(featIndent)
		}
		s.lineStart = false
	}
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= utf8.RuneSelf
}

// add appends a byte to the current word.
func (s *scanner) add(c byte) {
	if s.wordLen < maxWord {
		s.word[s.wordLen] = c
	}
	s.wordLen++
}

// begin starts a word if none is in progress.
func (s *scanner) begin() {
	if s.wordLen == 0 {
		s.digits, s.lower, s.camel, s.script = true, false, false, 0
	}
}

func (s *scanner) endWord() {
	if s.wordLen == 0 {
		return
	}
	var h uint64
	if s.digits {
		switch {
		case s.wordLen <= 2:
			h = featNum2
		case s.wordLen == 3:
			h = featNum3
		case s.wordLen == 4:
			h = featNum4
		default:
			h = featNum5
		}
	} else {
		w := s.word[:min(s.wordLen, maxWord)]
		if s.script == 0 {
			w = stem(w)
		}
		h = hashWord(w)
	}
	s.emit(h)
	if s.prev != 0 {
		s.emit(bigram(s.prev, h))
	}
	if s.camel {
		s.emit(featCamel)
	}
	if s.script != 0 {
		s.emit(s.script)
	}
	s.prev, s.wordLen = h, 0
}

func (s *scanner) punctByte(c byte) {
	s.prev = 0
	if s.punctLen == 0 {
		s.punct = seedPunct
	}
	if s.punctLen < 3 {
		s.punct = (s.punct ^ uint64(c)) * fnvPrime
	}
	s.punctLen++
}

func (s *scanner) endPunct() {
	if s.punctLen > 0 {
		s.emit(mix(s.punct))
		s.punctLen = 0
	}
	s.unspaced = 0
}

// nonASCII handles a rune outside ASCII.
func (s *scanner) nonASCII(r rune) {
	switch {
	case r == '\u2019': // ’ as an apostrophe
		if s.wordLen > 0 {
			return
		}
		s.endWord()
		s.punctByte('\'')
		return
	case !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r):
		s.endWord()
		if r >= 0x1F000 || 0x2600 <= r && r < 0x2800 {
			s.endPunct()
			s.emit(featEmoji)
			return
		}
		// Quotes, dashes, CJK punctuation: one punctuation feature each.
		s.endPunct()
		s.prev = 0
		s.emit(mix(seedPunct ^ uint64(r)))
		return
	}
	sc := scriptOf(r)
	if sc == featHan || sc == featKana || sc == featThai {
		// No spaces between words: each character is a feature.
		s.endWord()
		if s.unspaced != sc {
			s.endPunct()
			s.emit(sc)
			s.unspaced = sc
		}
		s.emit(mix(seedRune ^ uint64(r)))
		return
	}
	s.endPunct()
	s.begin()
	s.digits = false
	s.script = sc
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], unicode.ToLower(r))
	for _, b := range buf[:n] {
		s.add(b)
	}
}

// scriptOf returns the script feature of a non-ASCII letter.
func scriptOf(r rune) uint64 {
	switch {
	case r < 0x0370 || 0x1E00 <= r && r < 0x1F00:
		return featLatinExt
	case 0x0370 <= r && r < 0x0400 || 0x1F00 <= r && r < 0x2000:
		return featGreek
	case 0x0400 <= r && r < 0x0530:
		return featCyrillic
	case 0x0590 <= r && r < 0x0600:
		return featHebrew
	case 0x0600 <= r && r < 0x0780:
		return featArabic
	case 0x0900 <= r && r < 0x0E00:
		return featIndic
	case 0x0E00 <= r && r < 0x0E80:
		return featThai
	case 0x1100 <= r && r < 0x1200 || 0x3130 <= r && r < 0x3190 || 0xAC00 <= r && r < 0xD7B0:
		return featHangul
	case 0x3040 <= r && r < 0x3100 || 0xFF66 <= r && r < 0xFFA0:
		return featKana
	case 0x3400 <= r && r < 0xA000 || 0xF900 <= r && r < 0xFB00 || 0x20000 <= r && r < 0x2FA20:
		return featHan
	default:
		return featOtherScript
	}
}
