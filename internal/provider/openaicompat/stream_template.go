package openaicompat

import (
	"github.com/switchyard-dev/switchyard/internal/provider/jsonscan"
)

// A stream's text chunks repeat one another byte for byte but for a few
// string literals: OpenAI and the servers that copy it send the same id,
// created, model and shape in every chunk, and only the delta's text (and
// OpenAI's "obfuscation" padding) changes. So a chunk that decodeFast
// parsed and that has the usual shape (one choice with one text field,
// no finish reason, no usage) is kept as a template: its bytes, where its
// string literals are, and what the rest decoded to. The next chunk is
// read from it when its bytes are the template's but for those literals,
// each still one valid string literal: JSON read token by token takes the
// same path through both, so that chunk decodes to the template's values
// with its own text, which is all that is unquoted. Comparing bytes
// costs a fraction of parsing them, which was most of the cost of
// relaying a chunk. Any chunk that does not match is parsed, and leaves
// a template in turn or none.

// maxTemplate bounds the chunk a template is made of: a stream holds its
// template while it lasts, and a long chunk is parsed at about the cost
// of scanning its text anyway.
const maxTemplate = 4 << 10

// maxLiterals bounds the string literals a template may vary: the text,
// OpenAI's obfuscation, and a little room for other padding.
const maxLiterals = 4

// textField names the delta's text fields.
type textField uint8

const (
	textNone textField = iota // a literal that is skipped, not decoded
	textContent
	textReasoning
	textReasoningContent
)

// span is a string literal's place in a chunk: data[start:end], quotes
// included.
type span struct{ start, end int }

// literals are the string literals of a chunk that may differ in the
// next one, as the parser met them.
type literals struct {
	at   [maxLiterals]span
	n    int       // how many are in at; more than maxLiterals if too many
	text int       // the text's index in at, if field is not textNone
	kind textField // which text field is the text
	many bool      // there was more than one text literal
}

// note records the literal data[start:end] of field f (textNone for a
// skipped value).
func (l *literals) note(start, end int, f textField) {
	if f != textNone {
		if l.kind != textNone {
			l.many = true
		}
		l.text, l.kind = l.n, f
	}
	if l.n < maxLiterals {
		l.at[l.n] = span{start, end}
	}
	l.n++
}

// template is a chunk that the next may repeat: see above.
type template struct {
	valid bool
	raw   []byte // the chunk's bytes
	lits  literals
	// What the chunk decoded to but for its text.
	id, model, fingerprint, tier string
	created                      int64
	index                        int
	role                         string
}

// remember makes the chunk data, which fc holds as parsed with lits, the
// template for the next chunk if it has the usual shape, and forgets t's
// otherwise. It returns the template, t's memory reused.
func (t *template) remember(data []byte, fc *fastChunk, lits *literals) *template {
	if len(data) > maxTemplate || lits.kind == textNone || lits.many || lits.n > maxLiterals ||
		len(fc.out.Choices) != 1 || fc.out.Usage != nil || fc.choice[0].FinishReason != nil {
		t.forget()
		return t
	}
	if t == nil {
		t = new(template)
	}
	*t = template{
		valid: true, raw: append(t.raw[:0], data...), lits: *lits,
		id: fc.id.s, model: fc.model.s, fingerprint: fc.fingerprint.s, tier: fc.tier.s,
		created: fc.out.Created, index: fc.choice[0].Index, role: fc.choice[0].Delta.Role,
	}
	return t
}

// forget drops the template: the chunk after the one that did not leave
// one is parsed.
func (t *template) forget() {
	if t != nil {
		t.valid = false
	}
}

// read reads data into fc (to be completed by result) if it repeats the
// template but for its literals, and reports whether it did.
func (t *template) read(fc *fastChunk, data []byte) bool {
	if t == nil || !t.valid {
		return false
	}
	var text []byte
	i, from := 0, 0 // where data and raw are compared from
	for k := range t.lits.n {
		at := t.lits.at[k]
		same := t.raw[from:at.start]
		if len(data)-i <= len(same) || string(data[i:i+len(same)]) != string(same) {
			return false
		}
		i += len(same)
		if data[i] != '"' {
			return false
		}
		s := jsonscan.New(data[i:])
		if _, _, valid := s.Str(); !valid {
			return false
		}
		if k == t.lits.text {
			text = s.Since(0)
		}
		i, from = i+s.Pos(), at.end
	}
	if string(data[i:]) != string(t.raw[from:]) {
		return false
	}
	*fc = fastChunk{}
	fc.id.s, fc.model.s, fc.fingerprint.s, fc.tier.s = t.id, t.model, t.fingerprint, t.tier
	fc.out.Created = t.created
	fc.choice[0].Index, fc.choice[0].Delta.Role = t.index, t.role
	fc.out.Choices = fc.choice[:1]
	return fc.textOf(t.lits.kind).UnmarshalJSON(text) == nil
}

// textOf returns fc's text field f.
func (fc *fastChunk) textOf(f textField) *text {
	switch f {
	case textReasoning:
		return &fc.reasoning
	case textReasoningContent:
		return &fc.reasoningContent
	}
	return &fc.content
}
