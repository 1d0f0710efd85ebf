package openai

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Streamed chunks are written by hand: encoding/json's reflection was a
// large share of relaying a stream, paid again for every chunk (and the
// non-streamed response, responsejson.go, is written so too). The
// appenders below write the bytes a json.Encoder with SetEscapeHTML(false)
// writes (fields in declaration order, the same omissions, strings as
// appendString writes them, raw JSON compacted), without allocating
// beyond the growth of dst. Fields that are rare on a stream (errors,
// routing explanations) go through encoding/json. The tests hold every
// field to encoding/json, so a field added to these types without being
// added here fails them.

// AppendJSON appends c as JSON, as json.Marshal would encode it but for
// HTML escaping, which it leaves out as a json.Encoder with
// SetEscapeHTML(false) does. The error is encoding/json's for the fields
// it writes (Error, SwitchyardRouting) or for invalid raw JSON.
func (c *Chunk) AppendJSON(dst []byte) ([]byte, error) {
	return c.appendAfterHead(appendHead(dst, c.ID, c.Object, c.Created, c.Model, c.Provider))
}

// ChunkEncoder appends the chunks of one stream as Chunk.AppendJSON does.
// A stream's chunks nearly all have the same head (id, object, created,
// model and provider), and writing it was most of the cost of encoding a
// chunk: the encoder keeps the JSON of the last head, and appends it again
// while the chunks' stay the same. The zero value is ready to use.
type ChunkEncoder struct {
	id, object, model, provider string
	created                     int64
	head                        []byte
}

// Append appends c as c.AppendJSON(dst) would.
func (e *ChunkEncoder) Append(dst []byte, c *Chunk) ([]byte, error) {
	if e.head != nil && c.ID == e.id && c.Object == e.object && c.Created == e.created &&
		c.Model == e.model && c.Provider == e.provider {
		return c.appendAfterHead(append(dst, e.head...))
	}
	start := len(dst)
	dst = appendHead(dst, c.ID, c.Object, c.Created, c.Model, c.Provider)
	e.head = append(e.head[:0], dst[start:]...) // one allocation, the first time
	e.id, e.object, e.created, e.model, e.provider = c.ID, c.Object, c.Created, c.Model, c.Provider
	return c.appendAfterHead(dst)
}

// appendAfterHead appends the rest of c's JSON after its head.
func (c *Chunk) appendAfterHead(dst []byte) ([]byte, error) {
	var err error
	dst = appendOptionalStrings(dst, c.SystemFingerprint, c.ServiceTier)
	dst = append(dst, `,"choices":`...)
	if dst, err = appendArray(dst, c.Choices, (*ChunkChoice).appendJSON); err != nil {
		return dst, err
	}
	if dst, err = appendTail(dst, c.Usage, c.Error); err != nil {
		return dst, err
	}
	if dst, err = appendRouting(dst, c.SwitchyardRouting); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// AppendJSON appends r, a text completion or one of its streamed chunks,
// as JSON, as Chunk.AppendJSON does.
func (r *CompletionResponse) AppendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = appendHead(dst, r.ID, r.Object, r.Created, r.Model, r.Provider)
	dst = append(dst, `,"choices":`...)
	if r.Choices == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range r.Choices {
			if i > 0 {
				dst = append(dst, ',')
			}
			ch := &r.Choices[i]
			dst = append(dst, `{"index":`...)
			dst = strconv.AppendInt(dst, int64(ch.Index), 10)
			dst = append(dst, `,"text":`...)
			dst = appendString(dst, ch.Text)
			dst = appendFinish(dst, ch.FinishReason, ch.NativeFinishReason)
			dst = append(dst, `,"logprobs":`...)
			if len(ch.Logprobs) == 0 { // a nil json.RawMessage encodes as null
				dst = append(dst, "null"...)
			} else if dst, err = appendRaw(dst, ch.Logprobs); err != nil {
				return dst, err
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if dst, err = appendTail(dst, r.Usage, r.Error); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// appendOptionalStrings appends the system_fingerprint and service_tier
// fields every response and chunk may have, each left out when empty.
func appendOptionalStrings(dst []byte, fingerprint, tier string) []byte {
	if fingerprint != "" {
		dst = append(dst, `,"system_fingerprint":`...)
		dst = appendString(dst, fingerprint)
	}
	if tier != "" {
		dst = append(dst, `,"service_tier":`...)
		dst = appendString(dst, tier)
	}
	return dst
}

// appendArray appends items as a JSON array of what appendItem writes
// for each, or null for a nil slice, as encoding/json does.
func appendArray[T any](dst []byte, items []T, appendItem func(*T, []byte) ([]byte, error)) ([]byte, error) {
	if items == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendItem(&items[i], dst); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// appendRouting appends the routing explanation, when there is one.
func appendRouting(dst []byte, routing any) ([]byte, error) {
	if routing == nil {
		return dst, nil
	}
	dst = append(dst, `,"switchyard_routing":`...)
	return appendValue(dst, routing)
}

// appendHead opens an object with the fields every chunk starts with.
func appendHead(dst []byte, id, object string, created int64, model, provider string) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, id)
	dst = append(dst, `,"object":`...)
	dst = appendString(dst, object)
	dst = append(dst, `,"created":`...)
	dst = strconv.AppendInt(dst, created, 10)
	dst = append(dst, `,"model":`...)
	dst = appendString(dst, model)
	if provider != "" {
		dst = append(dst, `,"provider":`...)
		dst = appendString(dst, provider)
	}
	return dst
}

// appendTail appends the optional usage and error fields.
func appendTail(dst []byte, u *Usage, e *ErrorBody) ([]byte, error) {
	var err error
	if u != nil {
		dst = append(dst, `,"usage":`...)
		if dst, err = u.appendJSON(dst); err != nil {
			return dst, err
		}
	}
	if e != nil {
		dst = append(dst, `,"error":`...)
		if dst, err = appendValue(dst, e); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendJSON appends the choice as JSON.
func (ch *ChunkChoice) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"index":`...)
	dst = strconv.AppendInt(dst, int64(ch.Index), 10)
	dst = append(dst, `,"delta":`...)
	if dst, err = ch.Delta.appendJSON(dst); err != nil {
		return dst, err
	}
	dst = appendFinish(dst, ch.FinishReason, ch.NativeFinishReason)
	if len(ch.Logprobs) > 0 {
		dst = append(dst, `,"logprobs":`...)
		if dst, err = appendRaw(dst, ch.Logprobs); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendFinish appends the finish reasons, null when unset.
func appendFinish(dst []byte, reason, native *string) []byte {
	dst = append(dst, `,"finish_reason":`...)
	dst = appendNullable(dst, reason)
	dst = append(dst, `,"native_finish_reason":`...)
	return appendNullable(dst, native)
}

// appendJSON appends the delta as JSON.
func (d *Delta) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, '{')
	if d.Role != "" {
		dst = appendKey(dst, `"role":`)
		dst = appendString(dst, d.Role)
	}
	if d.Content != nil {
		dst = appendKey(dst, `"content":`)
		dst = appendString(dst, *d.Content)
	}
	if d.Refusal != nil {
		dst = appendKey(dst, `"refusal":`)
		dst = appendString(dst, *d.Refusal)
	}
	if len(d.ToolCalls) > 0 {
		dst = appendKey(dst, `"tool_calls":`)
		dst = appendToolCalls(dst, d.ToolCalls)
	}
	if d.Reasoning != nil {
		dst = appendKey(dst, `"reasoning":`)
		dst = appendString(dst, *d.Reasoning)
	}
	if len(d.ReasoningDetails) > 0 {
		dst = appendKey(dst, `"reasoning_details":`)
		if dst, err = appendRaw(dst, d.ReasoningDetails); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendKey appends an object's key (with its colon), after a comma
// unless it is the object's first.
func appendKey(dst []byte, key string) []byte {
	if dst[len(dst)-1] != '{' {
		dst = append(dst, ',')
	}
	return append(dst, key...)
}

// appendToolCalls appends tool calls as a JSON array.
func appendToolCalls(dst []byte, calls []ToolCall) []byte {
	dst = append(dst, '[')
	for i := range calls {
		tc := &calls[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		if tc.Index != nil {
			dst = append(dst, `"index":`...)
			dst = strconv.AppendInt(dst, int64(*tc.Index), 10)
			dst = append(dst, ',')
		}
		if tc.ID != "" {
			dst = append(dst, `"id":`...)
			dst = appendString(dst, tc.ID)
			dst = append(dst, ',')
		}
		if tc.Type != "" {
			dst = append(dst, `"type":`...)
			dst = appendString(dst, tc.Type)
			dst = append(dst, ',')
		}
		dst = append(dst, `"function":{`...)
		if tc.Function.Name != "" {
			dst = append(dst, `"name":`...)
			dst = appendString(dst, tc.Function.Name)
			dst = append(dst, ',')
		}
		dst = append(dst, `"arguments":`...)
		dst = appendString(dst, tc.Function.Arguments)
		dst = append(dst, "}}"...)
	}
	return append(dst, ']')
}

// appendJSON appends the usage as JSON.
func (u *Usage) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.PromptTokens), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.CompletionTokens), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.TotalTokens), 10)
	if p := u.PromptTokensDetails; p != nil {
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
		dst = strconv.AppendInt(dst, int64(p.CachedTokens), 10)
		dst = appendCount(dst, `,"cache_write_tokens":`, p.CacheWriteTokens)
		dst = appendCount(dst, `,"audio_tokens":`, p.AudioTokens)
		dst = append(dst, '}')
	}
	if c := u.CompletionTokensDetails; c != nil {
		dst = append(dst, `,"completion_tokens_details":{"reasoning_tokens":`...)
		dst = strconv.AppendInt(dst, int64(c.ReasoningTokens), 10)
		dst = appendCount(dst, `,"audio_tokens":`, c.AudioTokens)
		dst = appendCount(dst, `,"image_tokens":`, c.ImageTokens)
		dst = append(dst, '}')
	}
	if u.Cost != nil {
		// Amount.MarshalJSON writes the String, a compact JSON number:
		// appended as it is, without the copies of appendRaw.
		dst = append(dst, `,"cost":`...)
		dst = append(dst, u.Cost.String()...)
	}
	dst = append(dst, `,"is_byok":`...)
	dst = strconv.AppendBool(dst, u.IsBYOK)
	return append(dst, '}'), nil
}

// appendCount appends an omitempty integer field.
func appendCount(dst []byte, key string, n int) []byte {
	if n == 0 {
		return dst
	}
	dst = append(dst, key...)
	return strconv.AppendInt(dst, int64(n), 10)
}

// appendNullable appends *s as a JSON string, or null.
func appendNullable(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return appendString(dst, *s)
}

// appendRaw appends raw JSON compacted, as encoding/json writes a
// json.RawMessage (with HTML escaping off), or fails as it does on JSON
// that is not valid.
func appendRaw(dst []byte, raw []byte) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	if err := json.Compact(buf, raw); err != nil {
		return dst, err
	}
	return buf.Bytes(), nil
}
