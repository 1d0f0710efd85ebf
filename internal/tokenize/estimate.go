package tokenize

// Estimate returns a cheap estimate of the tokens of text that needs no
// tokenizer: a token per three ASCII bytes plus a token per non-ASCII byte,
// rounded up. It is one pass over the bytes, some 100 times faster than
// counting (see the benchmarks).
//
// It is at least the cl100k_base and o200k_base count of prose, ordinary
// source code, CJK and emoji (the tests check it): a byte-level BPE never
// spends more than one token per byte, and non-ASCII text often approaches
// that (rare CJK ideographs, emoji), so plain bytes/3 would undercount it.
// It is not a bound for dense ASCII such as hashes, base64 or minified
// code, which can cost up to a token per byte. So use a [Counter] wherever
// the count decides money (holds, settlement of unreported usage), and
// Estimate only as a cheap guard before counting, for example to refuse a
// prompt that is plainly larger than a model's context.
func Estimate(text string) int {
	nonASCII := 0
	for i := 0; i < len(text); i++ {
		if text[i] >= 0x80 {
			nonASCII++
		}
	}
	return ceilDiv(len(text)-nonASCII, 3) + nonASCII
}
