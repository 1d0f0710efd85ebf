package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/sse"
)

// errTruncated is the message of a stream the upstream closed before any
// finishReason.
const errTruncated = "upstream closed before finishing"

// stream reads an upstream SSE body and yields OpenAI chunks. It is not
// safe for concurrent use, except that Close may be called at any time to
// abort a blocked Next.
//
// Gemini sends no terminator: the stream ends when the connection closes.
// Finish reasons and usage are therefore held back and sent on one final
// chunk at the close, so that a finishReason: STOP that arrives apart from
// its functionCall still maps to tool_calls, and usage is the last, complete
// one.
type stream struct {
	ctx  context.Context
	name string
	body io.ReadCloser
	sn   *sniffer
	r    *sse.Reader

	id, model string
	created   int64
	usage     *usageMetadata
	ids       callIDs
	started   map[int]bool   // candidates whose role was sent
	calls     map[int]int    // tool calls sent per candidate
	finish    map[int]string // native finish reason per candidate
	blocked   string         // promptFeedback.blockReason
	err       error          // sticky: the stream's result once it ended

	closeOnce sync.Once
	closeErr  error
}

var _ provider.Stream = (*stream)(nil)

func newStream(ctx context.Context, name string, body io.ReadCloser, created int64) *stream {
	sn := &sniffer{r: body}
	return &stream{
		ctx: ctx, name: name, body: body, sn: sn, r: sse.NewReader(sn), created: created,
		started: make(map[int]bool), calls: make(map[int]int), finish: make(map[int]string),
	}
}

// Next returns the next chunk, io.EOF after the final one, or a
// *provider.Error.
func (s *stream) Next() (*openai.Chunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	c, err := s.next()
	if err != nil {
		s.err = err
	}
	return c, err
}

func (s *stream) next() (*openai.Chunk, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, provider.AsError(s.name, err)
	}
	for {
		ev, err := s.r.Next()
		if err != nil {
			return s.end(err)
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 || string(data) == "[DONE]" {
			continue
		}
		var resp response
		if err := json.Unmarshal(data, &resp); err != nil {
			return nil, &provider.Error{
				Provider: s.name,
				Type:     "server",
				Message:  "upstream sent a malformed event: " + err.Error(),
				Raw:      provider.ClipMessage(string(data), maxMessage),
				Err:      err,
			}
		}
		if resp.Error != nil {
			return nil, inBandError(s.name, data)
		}
		if c := s.handle(&resp); c != nil {
			return c, nil
		}
	}
}

// handle converts one streamed response into a chunk of deltas, or nil
// when it carries nothing to send yet.
func (s *stream) handle(r *response) *openai.Chunk {
	if r.ResponseID != "" {
		s.id = r.ResponseID
	}
	if r.ModelVersion != "" {
		s.model = r.ModelVersion
	}
	if r.UsageMetadata != nil {
		s.usage = r.UsageMetadata
	}
	if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		s.blocked = r.PromptFeedback.BlockReason
	}
	var choices []openai.ChunkChoice
	for pos := range r.Candidates {
		cand := &r.Candidates[pos]
		idx := cand.index(pos)
		if cand.FinishReason != "" {
			s.finish[idx] = cand.FinishReason
		}
		var d openai.Delta
		var text, reasoning []byte
		var hasText, hasReasoning bool
		if cand.Content != nil {
			for _, p := range cand.Content.Parts {
				switch {
				case p.FunctionCall != nil:
					tc := toolCall(p.FunctionCall, &s.ids)
					tc.Index = openai.Ptr(s.calls[idx])
					s.calls[idx]++
					d.ToolCalls = append(d.ToolCalls, tc)
				case p.Text != nil && *p.Text != "" && p.Thought:
					reasoning = append(reasoning, *p.Text...)
					hasReasoning = true
				case p.Text != nil && *p.Text != "":
					text = append(text, *p.Text...)
					hasText = true
				}
			}
		}
		if hasText {
			d.Content = openai.Ptr(string(text))
		}
		if hasReasoning {
			d.Reasoning = openai.Ptr(string(reasoning))
		}
		if !hasText && !hasReasoning && len(d.ToolCalls) == 0 {
			continue
		}
		if !s.started[idx] {
			s.started[idx] = true
			d.Role = "assistant"
		}
		choices = append(choices, openai.ChunkChoice{Index: idx, Delta: d})
	}
	if len(choices) == 0 {
		return nil
	}
	c := s.chunk()
	c.Choices = choices
	return c
}

// end classifies the end of the body. A close after a finishReason is
// success and yields the final chunk; any other end is an error.
func (s *stream) end(err error) (*openai.Chunk, error) {
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return nil, provider.AsError(s.name, ctxErr)
	}
	if e := s.sn.error(s.name); e != nil {
		return nil, e
	}
	if !errors.Is(err, io.EOF) {
		return nil, provider.AsError(s.name, err)
	}
	if len(s.finish) == 0 && s.blocked == "" {
		return nil, &provider.Error{Provider: s.name, Type: "provider_unavailable", Message: errTruncated}
	}
	c := s.chunk()
	if len(s.finish) == 0 {
		c.Choices = []openai.ChunkChoice{{
			Index:              0,
			FinishReason:       openai.Ptr(openai.FinishContentFilter),
			NativeFinishReason: openai.Ptr(s.blocked),
		}}
	}
	idxs := make([]int, 0, len(s.finish))
	for i := range s.finish {
		idxs = append(idxs, i)
	}
	slices.Sort(idxs)
	for _, i := range idxs {
		native := s.finish[i]
		c.Choices = append(c.Choices, openai.ChunkChoice{
			Index:              i,
			FinishReason:       openai.Ptr(finishReason(native, s.calls[i] > 0)),
			NativeFinishReason: openai.Ptr(native),
		})
	}
	c.Usage = s.usage.openai()
	s.err = io.EOF // the next call ends the stream
	return c, nil
}

func (s *stream) chunk() *openai.Chunk {
	return &openai.Chunk{
		ID:      s.id,
		Object:  openai.ObjectChatCompletionChunk,
		Created: s.created,
		Model:   s.model,
		Choices: []openai.ChunkChoice{},
	}
}

// Close releases the upstream connection. It is safe to call twice.
func (s *stream) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.body.Close() })
	return s.closeErr
}

// sniffer passes the body through to the SSE reader and keeps the lines
// that are not SSE fields. Gemini may send an error as a bare
// {"error":{…}} line, which an SSE reader ignores (go-genai's parser
// raises it).
type sniffer struct {
	r     io.Reader
	cur   []byte // the current line's start, while undecided
	mode  int    // of the current line: undecided, skip or stray
	stray []byte // stray lines, joined by newlines, at most maxErrorBody
}

const (
	undecided = iota
	skip
	stray
)

func (s *sniffer) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.scan(p[:n])
	if err != nil {
		s.endLine()
	}
	return n, err
}

func (s *sniffer) scan(b []byte) {
	for len(b) > 0 {
		if s.mode == skip {
			i := bytes.IndexAny(b, "\r\n")
			if i < 0 {
				return
			}
			b = b[i:]
		}
		c := b[0]
		b = b[1:]
		switch {
		case c == '\r' || c == '\n':
			s.endLine()
		case s.mode == stray:
			s.add(c)
		default:
			s.cur = append(s.cur, c)
			if c == ':' || len(s.cur) > len("retry:") {
				s.decide()
			}
		}
	}
}

// decide classifies the current line by its field name.
func (s *sniffer) decide() {
	field := s.cur
	if i := bytes.IndexByte(field, ':'); i >= 0 {
		field = field[:i]
	}
	switch string(field) {
	case "", "data", "event", "id", "retry":
		s.mode = skip
	default:
		s.mode = stray
		for _, c := range s.cur {
			s.add(c)
		}
	}
	s.cur = s.cur[:0]
}

func (s *sniffer) endLine() {
	if s.mode == undecided && len(s.cur) > 0 {
		s.decide()
	}
	if s.mode == stray {
		s.add('\n')
	}
	s.mode = undecided
	s.cur = s.cur[:0]
}

func (s *sniffer) add(c byte) {
	if len(s.stray) < maxErrorBody {
		s.stray = append(s.stray, c)
	}
}

// error returns the error the stray lines hold, if they are one.
func (s *sniffer) error(name string) *provider.Error {
	body := bytes.TrimSpace(s.stray)
	if len(body) == 0 {
		return nil
	}
	var e errorBody
	if json.Unmarshal(body, &e) != nil || e.Error == nil {
		return nil
	}
	return inBandError(name, body)
}
