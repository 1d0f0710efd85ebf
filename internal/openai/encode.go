package openai

import (
	"bytes"
	"encoding/json"
)

// AppendMessagesJSON appends msgs as a JSON array, each message as
// Message.AppendJSON writes it; nil is null, as encoding/json writes it.
func AppendMessagesJSON(dst []byte, msgs []Message) ([]byte, error) {
	return appendMessages(dst, msgs, nil)
}

// appendMessages is AppendMessagesJSON, splicing long content literals
// into s unless it is nil.
func appendMessages(dst []byte, msgs []Message, s *Spliced) ([]byte, error) {
	if msgs == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i := range msgs {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = msgs[i].appendJSON(dst, s); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// MessagesJSONSize estimates the length of AppendMessagesJSON's output,
// for allocating a buffer once; if spliced, of what SpliceMessagesJSON
// writes.
func MessagesJSONSize(msgs []Message, spliced bool) int {
	n := 2
	for i := range msgs {
		m := &msgs[i]
		n += 64 + len(m.Name) + len(m.ToolCallID) + len(m.Reasoning) + len(m.ReasoningDetails)
		if raw := m.Content.RawJSON(); raw != "" {
			if !spliced || len(raw) < SpliceMin {
				n += len(raw)
			}
		} else {
			n += len(m.Content.Text) * 11 / 10
		}
		for j := range m.Content.Parts {
			p := &m.Content.Parts[j]
			n += 64 + len(p.Text) + len(p.File) + len(p.InputAudio) + len(p.VideoURL) + len(p.CacheControl)
			if p.ImageURL != nil {
				n += len(p.ImageURL.URL)
			}
		}
		for j := range m.ToolCalls {
			f := &m.ToolCalls[j].Function
			n += 64 + len(m.ToolCalls[j].ID) + len(f.Name) + len(f.Arguments)*11/10
		}
	}
	return n
}

// AppendJSON appends m as a json.Encoder with SetEscapeHTML(false) writes
// it, with two differences in the content, where the encoder would keep
// the HTML escapes of Content.MarshalJSON's json.Marshal: content is not
// HTML-escaped, as no other field is; and text content decoded from a
// client's request (DecodeChatRequest, Content.UnmarshalJSON) is written
// as the client wrote it, a literal of the same string that may escape
// differently. That copies the prompt instead of escaping it again.
func (m *Message) AppendJSON(dst []byte) ([]byte, error) {
	return m.appendJSON(dst, nil)
}

// appendJSON is AppendJSON, splicing a long content literal into s unless
// it is nil.
func (m *Message) appendJSON(dst []byte, s *Spliced) ([]byte, error) {
	var err error
	dst = append(dst, `{"role":`...)
	dst = appendString(dst, m.Role)
	dst = append(dst, `,"content":`...)
	if dst, err = m.Content.appendJSON(dst, s); err != nil {
		return dst, err
	}
	if m.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = appendString(dst, m.Name)
	}
	if len(m.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":`...)
		if dst, err = appendValue(dst, m.ToolCalls); err != nil {
			return dst, err
		}
	}
	if m.ToolCallID != "" {
		dst = append(dst, `,"tool_call_id":`...)
		dst = appendString(dst, m.ToolCallID)
	}
	if m.Refusal != nil {
		dst = append(dst, `,"refusal":`...)
		dst = appendString(dst, *m.Refusal)
	}
	if m.Reasoning != "" {
		dst = append(dst, `,"reasoning":`...)
		dst = appendString(dst, m.Reasoning)
	}
	if len(m.ReasoningDetails) > 0 {
		dst = append(dst, `,"reasoning_details":`...)
		if dst, err = appendValue(dst, m.ReasoningDetails); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendJSON appends c as MarshalJSON writes it, with HTML escaping off;
// a literal of SpliceMin bytes or more goes into s unless it is nil.
func (c *Content) appendJSON(dst []byte, s *Spliced) ([]byte, error) {
	switch {
	case !c.isSet:
		return append(dst, "null"...), nil
	case c.isList:
		if c.Parts == nil {
			return append(dst, "[]"...), nil
		}
		return appendValue(dst, c.Parts)
	}
	if raw := c.RawJSON(); raw != "" {
		if s != nil && len(raw) >= SpliceMin {
			return s.splice(dst, raw), nil
		}
		return append(dst, raw...), nil
	}
	return appendString(dst, c.Text), nil
}

// appendValue appends v as a json.Encoder with SetEscapeHTML(false)
// writes it, without the newline.
func appendValue(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	out := buf.Bytes()
	return out[:len(out)-1], nil
}
