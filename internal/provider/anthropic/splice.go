package anthropic

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// A long text of the client's (string content of openai.SpliceMin bytes
// or more: a big prompt or system prompt) goes upstream as the client
// wrote its literal, referred to where the request's decoder found it:
// the request is marshalled with a placeholder in its place, which is
// then cut out and the literal spliced in (openai.Spliced), as
// openaicompat does for its messages. Encoding a 100 KB prompt again cost
// escaping and checking each of its bytes, and copying them as
// encoding/json's buffer grew and once more into its result.

// splicer holds the literals a request's placeholders stand for.
type splicer struct {
	// nonce makes the placeholders of one request unguessable, so that
	// no text of the client's can pass for one.
	nonce string
	raws  []string
}

// The ends of a placeholder as json.Marshal writes it: NUL is escaped.
var (
	placeholderOpen  = []byte(`"\u0000`)
	placeholderClose = []byte(`\u0000"`)
)

// textBlock is the text block of string content c: a placeholder for its
// literal when that is long enough to splice.
func (sp *splicer) textBlock(c openai.Content) block {
	raw := c.RawJSON()
	if len(raw) < openai.SpliceMin {
		return textBlock(c.Text, nil)
	}
	if sp.nonce == "" {
		sp.nonce = rand.Text()
	}
	placeholder := "\x00" + sp.nonce + strconv.Itoa(len(sp.raws)) + "\x00"
	sp.raws = append(sp.raws, raw)
	return textBlock(placeholder, nil)
}

// body is the JSON text of r, each placeholder replaced by its literal.
func (sp *splicer) body(r *request) (openai.Spliced, error) {
	b, err := json.Marshal(r)
	if err != nil || len(sp.raws) == 0 {
		return openai.Spliced{b}, err
	}
	open := append(placeholderOpen[:len(placeholderOpen):len(placeholderOpen)], sp.nonce...)
	out := make(openai.Spliced, 0, 2*len(sp.raws)+1)
	placed := make([]bool, len(sp.raws))
	for n := 0; ; n++ {
		at := bytes.Index(b, open)
		if at < 0 {
			if n != len(sp.raws) {
				return nil, fmt.Errorf("%d of %d long texts found in the marshalled request", n, len(sp.raws))
			}
			return append(out, b), nil
		}
		rest := b[at+len(open):]
		end := bytes.Index(rest, placeholderClose)
		if end < 0 {
			return nil, fmt.Errorf("an unterminated placeholder in the marshalled request")
		}
		i, err := strconv.Atoi(string(rest[:end]))
		if err != nil || i < 0 || i >= len(sp.raws) || placed[i] {
			return nil, fmt.Errorf("a placeholder of no long text, or one placed twice (%q), in the marshalled request", rest[:end])
		}
		placed[i] = true
		out.Splice(b[:at:at], sp.raws[i])
		b = rest[end+len(placeholderClose):]
	}
}
