package ollama

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// errTruncated is the message of a stream that ended before done:true.
const errTruncated = "upstream closed the stream before finishing"

// stream reads an NDJSON body line by line. It is not safe for concurrent
// use, except that Close may be called at any time to abort a blocked Next.
type stream struct {
	ctx   context.Context
	a     *Adapter
	body  io.ReadCloser
	r     *bufio.Reader
	line  []byte // a line longer than the reader's buffer, being assembled
	id    string
	calls int  // tool calls seen so far: the next one's number and index
	role  bool // the role was sent
	err   error
}

var _ provider.Stream = (*stream)(nil)

func newStream(ctx context.Context, a *Adapter, body io.ReadCloser) *stream {
	return &stream{ctx: ctx, a: a, body: body, r: bufio.NewReaderSize(body, 64<<10), id: newID()}
}

// Next returns the next chunk, io.EOF after the done:true line, or a
// *provider.Error. Blank lines are skipped.
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
		return nil, provider.AsError(s.a.name, err)
	}
	for {
		line, err := s.readLine()
		if err != nil {
			return nil, s.readError(err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var r chatResponse
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, s.a.malformed(line, err)
		}
		if r.Error != "" {
			return nil, s.a.inBand(r.Error, line)
		}
		c := s.chunk(&r)
		if r.Done {
			s.err = io.EOF // the line after done:true is the end
		}
		return c, nil
	}
}

// readLine returns the next line, without a bound on its length other than
// maxResponseBody. The returned slice is valid until the next call.
func (s *stream) readLine() ([]byte, error) {
	s.line = s.line[:0]
	for {
		frag, err := s.r.ReadSlice('\n')
		if err == nil {
			if len(s.line) == 0 {
				return frag, nil
			}
			return append(s.line, frag...), nil
		}
		if len(s.line)+len(frag) > maxResponseBody {
			return nil, errLineTooLong
		}
		s.line = append(s.line, frag...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(bytes.TrimSpace(s.line)) > 0:
			// A last line without its newline is still a line; the
			// next read reports EOF.
			return s.line, nil
		}
		return nil, err
	}
}

var errLineTooLong = fmt.Errorf("upstream sent an NDJSON line over %d MiB", maxResponseBody>>20)

// readError classifies the end of the body.
func (s *stream) readError(err error) error {
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return provider.AsError(s.a.name, ctxErr)
	}
	switch {
	case errors.Is(err, io.EOF):
		return &provider.Error{Provider: s.a.name, Type: "provider_unavailable", Message: errTruncated}
	case errors.Is(err, errLineTooLong):
		return &provider.Error{Provider: s.a.name, Type: "server", Message: err.Error(), Err: err}
	}
	return provider.AsError(s.a.name, err)
}

// chunk converts one line. The last (done:true) carries the finish reason
// and the usage.
func (s *stream) chunk(r *chatResponse) *openai.Chunk {
	d := openai.Delta{}
	if !s.role {
		d.Role, s.role = "assistant", true
	}
	if r.Message.Content != "" || (!r.Done && len(r.Message.ToolCalls) == 0 && r.Message.Thinking == "") {
		d.Content = openai.Ptr(r.Message.Content)
	}
	if r.Message.Thinking != "" {
		d.Reasoning = openai.Ptr(r.Message.Thinking)
	}
	d.ToolCalls = r.toolCalls(&s.calls, true)
	ch := openai.ChunkChoice{Delta: d}
	c := &openai.Chunk{
		ID:      s.id,
		Object:  openai.ObjectChatCompletionChunk,
		Created: r.created(),
		Model:   r.Model,
		Choices: []openai.ChunkChoice{ch},
	}
	if r.Done {
		reason, native := finish(r.DoneReason, s.calls > 0)
		c.Choices[0].FinishReason, c.Choices[0].NativeFinishReason = openai.Ptr(reason), native
		c.Usage = r.usage()
	}
	return c
}

// Close releases the upstream connection. It is safe to call twice.
func (s *stream) Close() error { return s.body.Close() }
