// Package tokenize counts prompt tokens offline, for credit holds before a
// request is forwarded and for usage estimates when an upstream reports none.
//
// Counting is exact where Switchyard ships the model's tokenizer and
// conservative (never knowingly under) where it does not. The BPE files are
// embedded in the binary by github.com/pkoukk/tiktoken-go-loader: nothing is
// fetched over the network, at run time or in tests.
//
// The family argument of Counter's methods is a catalog Model.Tokenizer
// value (OpenRouter's ModelGroup). The catalog uses Claude, Cohere,
// DeepSeek, GPT, Gemini, Gemma, Grok, Llama2, Llama3, Llama4, Mistral, Nova,
// Other, Qwen, Qwen3 and Yi. They are counted as follows:
//
//   - GPT: o200k_base, exactly (the encoding of GPT-4o, GPT-4.1, GPT-5 and the
//     o-series; older cl100k_base models get a count close enough for a hold).
//   - every other family, and any unknown or empty one: an estimate,
//     ceil(cl100k_base count × 5/4), and never less than ceil(bytes/4). See
//     [EstimateFactor] for why that does not undercount.
//
// Use a [Counter] when the count decides money (holds, and usage the upstream
// did not report); use [Estimate] only where even tokenizing is too costly,
// for example to reject an obviously oversized prompt before counting it.
package tokenize

import (
	"strings"
	"sync"

	tiktoken "github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// EstimateFactor, as the fraction EstimateNum/EstimateDen = 1.25, scales a
// cl100k_base count into an estimate for tokenizers Switchyard does not
// ship. Relative to cl100k_base on English prose and code:
//
//   - Llama 3/4, Qwen, DeepSeek, Grok and Yi use 100k–200k BPE vocabularies
//     built on or alongside cl100k_base, and count about the same or fewer
//     tokens;
//   - Gemini and Gemma use a 256k SentencePiece vocabulary and count fewer;
//   - Claude, Mistral and Llama 2 (32k–65k vocabularies) count up to roughly
//     20% more.
//
// So 25% over cl100k_base covers the known families with margin. The byte
// floor, one token per four bytes, protects text that cl100k_base happens to
// compress unusually well. Scripts a small vocabulary splits into bytes (CJK
// under Llama 2, say) can still exceed the estimate; a hold is settled to the
// upstream's reported usage in any case.
const (
	EstimateNum = 5
	EstimateDen = 4
)

// Encoding names, as tiktoken spells them.
const (
	O200kBase  = tiktoken.MODEL_O200K_BASE
	CL100kBase = tiktoken.MODEL_CL100K_BASE
)

// Counter counts tokens. It is safe for concurrent use. Each encoding is
// loaded on first use (o200k_base takes some 100 ms and tens of MB), so
// create one Counter per process, or use [Default].
type Counter struct {
	o200k  encoder
	cl100k encoder
}

// New returns a Counter; it loads nothing until it is first used.
func New() *Counter {
	return &Counter{o200k: newEncoder(O200kBase), cl100k: newEncoder(CL100kBase)}
}

var defaultCounter = sync.OnceValue(New)

// Default returns the process-wide Counter.
func Default() *Counter { return defaultCounter() }

// Text returns the number of prompt tokens text costs in the given
// tokenizer family (see the package comment).
func (c *Counter) Text(family, text string) int {
	enc, exact := c.forFamily(family)
	n := enc.count(text)
	if exact {
		return n
	}
	return conservative(n, len(text))
}

// Encoding returns the name of the encoding that counts family, and whether
// its counts are exact rather than scaled estimates.
func (c *Counter) Encoding(family string) (name string, exact bool) {
	enc, exact := c.forFamily(family)
	return enc.name, exact
}

// forFamily returns the encoder for family and whether its counts are exact.
func (c *Counter) forFamily(family string) (*encoder, bool) {
	if strings.EqualFold(family, "GPT") {
		return &c.o200k, true
	}
	return &c.cl100k, false
}

// conservative turns a cl100k_base count of a text of the given byte length
// into the estimate for an unshipped tokenizer.
func conservative(tokens, bytes int) int {
	return max(ceilDiv(tokens*EstimateNum, EstimateDen), ceilDiv(bytes, 4))
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// installLoader points tiktoken-go, process-wide, at the embedded BPE files
// instead of its default loader, which downloads them. It runs before any
// encoding is loaded, so tiktoken never reads its loader concurrently with
// this write.
var installLoader = sync.OnceFunc(func() {
	tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader())
})

// encoder is one lazily loaded encoding.
type encoder struct {
	name string
	load func() (*tiktoken.Tiktoken, error)
}

func newEncoder(name string) encoder {
	return encoder{name: name, load: sync.OnceValues(func() (*tiktoken.Tiktoken, error) {
		installLoader()
		return tiktoken.GetEncoding(name)
	})}
}

// count returns the number of tokens of text, encoded as ordinary text
// (special-token strings such as "<|endoftext|>" count as the text they
// are, as an upstream treats user content). Text is cut into chunks at
// points where the pre-tokenizer splits anyway (see chunks), so the count
// is exact while long runs without such points stay linear in time. If the
// embedded files cannot be loaded, which the tests rule out, count falls
// back to [Estimate].
func (e *encoder) count(text string) int {
	if text == "" {
		return 0
	}
	tk, err := e.load()
	if err != nil {
		return Estimate(text)
	}
	n := 0
	for chunk := range chunks(text) {
		n += len(tk.EncodeOrdinary(chunk))
	}
	return n
}
