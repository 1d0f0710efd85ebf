package openaicompat

import (
	"bytes"
	"unicode/utf8"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider/jsonscan"
)

// Upstream JSON nearly always has one shape: a few strings and numbers,
// at most one choice whose delta (a stream's chunk) or message (a
// non-streamed body) carries text, and the usage. The parser below (a
// jsonscan.Scanner and the readers of these objects) reads it without
// encoding/json, whose reflection and scanner were most of the
// cost of reading it: stream_fast.go reads chunks with it, and
// response_fast.go bodies. Both fill each field as encoding/json would,
// through the same UnmarshalJSON methods, and decline what they do not
// handle (tool calls, logprobs, several choices, errors, repeated or
// case-folded keys, anything unexpected), valid JSON or not, which then
// goes to encoding/json as before: the tests hold the two paths to the
// same result.

// The fields of each object read, as encoding/json matches them to keys
// (a test checks them against the structs). A key that is none of them
// but equal to one but for case, which encoding/json would match, sends
// the object to encoding/json.
var (
	completionFields      = []string{"id", "object", "created", "model", "system_fingerprint", "service_tier", "choices", "usage", "x_groq", "error"}
	choiceFields          = []string{"index", "message", "delta", "finish_reason", "logprobs"}
	messageFields         = []string{"role", "content", "refusal", "tool_calls", "reasoning", "reasoning_content", "reasoning_details", "annotations"}
	usageFields           = []string{"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "prompt_token_details", "completion_tokens_details", "prompt_cache_hit_tokens", "num_cached_tokens"}
	promptFields          = []string{"cached_tokens", "cache_write_tokens", "audio_tokens"}
	completionTokenFields = []string{"reasoning_tokens", "audio_tokens", "image_tokens"}
	xGroqFields           = []string{"usage", "error"}
)

// parser is a jsonscan.Scanner with the readers of the objects above.
type parser struct{ jsonscan.Scanner }

// usage reads null or the usage into a new *out.
func (p *parser) usage(out **usage) bool {
	if p.Null() {
		*out = nil
		return true
	}
	if p.Peek() != '{' {
		return false
	}
	u := new(usage)
	*out = u
	return p.usageObject(u)
}

// usageObject reads a usage object into u, which does not escape: a
// stream's usage is converted at once (chunkUsage) and needs no
// allocation of its own.
func (p *parser) usageObject(u *usage) bool {
	return p.Object(usageFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "prompt_tokens":
			ok = p.IntField(&u.PromptTokens)
		case "completion_tokens":
			ok = p.IntField(&u.CompletionTokens)
		case "total_tokens":
			ok = p.IntField(&u.TotalTokens)
		case "prompt_cache_hit_tokens":
			ok = p.IntField(&u.PromptCacheHitTokens)
		case "num_cached_tokens":
			ok = p.IntField(&u.NumCachedTokens)
		case "prompt_tokens_details":
			ok = p.promptDetails(&u.PromptTokensDetails)
		case "prompt_token_details":
			ok = p.promptDetails(&u.PromptTokenDetails)
		case "completion_tokens_details":
			ok = p.completionDetails(&u.CompletionTokensDetails)
		default:
			ok = p.Unknown(key, usageFields)
		}
		return ok
	})
}

// promptDetails reads null or prompt token details into *out.
func (p *parser) promptDetails(out **openai.PromptTokensDetails) bool {
	if p.Null() {
		*out = nil
		return true
	}
	d := new(openai.PromptTokensDetails)
	*out = d
	return p.Object(promptFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "cached_tokens":
			ok = p.IntField(&d.CachedTokens)
		case "cache_write_tokens":
			ok = p.IntField(&d.CacheWriteTokens)
		case "audio_tokens":
			ok = p.IntField(&d.AudioTokens)
		default:
			ok = p.Unknown(key, promptFields)
		}
		return ok
	})
}

// completionDetails reads null or completion token details into *out.
func (p *parser) completionDetails(out **openai.CompletionTokensDetails) bool {
	if p.Null() {
		*out = nil
		return true
	}
	d := new(openai.CompletionTokensDetails)
	*out = d
	return p.Object(completionTokenFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "reasoning_tokens":
			ok = p.IntField(&d.ReasoningTokens)
		case "audio_tokens":
			ok = p.IntField(&d.AudioTokens)
		case "image_tokens":
			ok = p.IntField(&d.ImageTokens)
		default:
			ok = p.Unknown(key, completionTokenFields)
		}
		return ok
	})
}

// plainString reads a string without escapes and in valid UTF-8 into s
// (whose bytes are then the string's), or null, which leaves s as it is.
func (p *parser) plainString(s *string) bool {
	if p.Null() {
		return true
	}
	v, ok := p.plain()
	if ok {
		*s = v
	}
	return ok
}

// optionalString reads a string as plainString does into a new *s, or
// null into a nil *s.
func (p *parser) optionalString(s **string) bool {
	if p.Null() {
		*s = nil
		return true
	}
	v, ok := p.plain()
	if ok {
		*s = &v
	}
	return ok
}

// plain reads a string literal without escapes and in valid UTF-8. The
// values that recur on every stream are returned without allocating.
func (p *parser) plain() (string, bool) {
	if p.Peek() != '"' {
		return "", false
	}
	start, special, valid := p.Str()
	if !valid {
		return "", false
	}
	v := p.Since(start)
	v = v[1 : len(v)-1]
	if special && (bytes.IndexByte(v, '\\') >= 0 || !utf8.Valid(v)) {
		return "", false
	}
	for _, s := range interned {
		if s == string(v) {
			return s, true
		}
	}
	return string(v), true
}

// interned are the strings plain returns without allocating.
var interned = [...]string{"assistant", "stop", "length", "tool_calls", openai.ObjectChatCompletion}
