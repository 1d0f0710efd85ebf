package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// primedStream replays the first chunk read while choosing the endpoint,
// fails the stream when the upstream goes silent for longer than idle, and
// tells the endpoint's health how the stream ended: completed, failed
// mid-way (a cut counts against the endpoint), or abandoned by the client
// (no verdict).
type primedStream struct {
	provider.Stream
	first    *openai.Chunk
	ctx      context.Context // the client's
	cancel   context.CancelFunc
	provider string
	idle     time.Duration
	timer    *time.Timer
	idled    atomic.Bool
	once     sync.Once

	router         *Router
	req            *openai.ChatRequest
	call           Call
	cand           Candidate
	health         *health.Endpoint
	start, firstAt time.Time
	usage          *openai.Usage
	tools          streamedCalls
	recorded       bool
}

// Buffered reports whether the next chunk is at hand (see
// provider.Buffering).
func (s *primedStream) Buffered() bool { return s.first != nil || provider.Buffered(s.Stream) }

func (s *primedStream) Next() (*openai.Chunk, error) {
	if f := s.first; f != nil {
		s.first = nil
		return f, nil
	}
	if s.timer != nil {
		s.timer.Reset(s.idle)
	}
	c, err := s.Stream.Next()
	if err != nil && s.idled.Load() {
		err = &provider.Error{Provider: s.provider, Type: "timeout", Err: err,
			Message: fmt.Sprintf("the upstream sent nothing for %s", s.idle)}
	}
	switch {
	case err == nil:
		if c.Usage != nil {
			s.usage = c.Usage
		}
		s.tools.add(c)
	case errors.Is(err, io.EOF):
		s.finish(nil)
	default:
		s.finish(err)
	}
	return c, err
}

// finish records the stream's outcome once: a failure unless err is nil,
// nothing when the client went away.
func (s *primedStream) finish(err error) {
	if s.recorded {
		return
	}
	s.recorded = true
	if s.ctx.Err() != nil {
		return
	}
	if err != nil {
		s.health.Record(failureOutcome(provider.AsError(s.provider, err)))
		return
	}
	now := s.router.now()
	o := health.Outcome{Success: true, TTFT: s.firstAt.Sub(s.start), Generation: now.Sub(s.firstAt)}
	if s.usage != nil {
		o.OutputTokens = s.usage.CompletionTokens
	}
	o.ToolCalls, o.ToolCallErrors = s.tools.check(s.req)
	s.health.Record(o)
	s.router.sticky.served(s.req, s.call, s.cand, s.usage, now)
}

func (s *primedStream) Close() error {
	err := s.Stream.Close()
	s.once.Do(func() {
		if s.timer != nil {
			s.timer.Stop()
		}
		s.cancel()
	})
	return err
}

// streamedCalls assembles streamed tool calls by index, for the tool-call
// error rate. It does nothing for requests without tools.
type streamedCalls struct {
	calls []openai.ToolCall
}

func (t *streamedCalls) add(c *openai.Chunk) {
	for i := range c.Choices {
		for _, tc := range c.Choices[i].Delta.ToolCalls {
			idx := 0
			if tc.Index != nil {
				idx = *tc.Index
			}
			if idx < 0 || idx > 128 {
				continue
			}
			for len(t.calls) <= idx {
				t.calls = append(t.calls, openai.ToolCall{})
			}
			call := &t.calls[idx]
			if tc.Function.Name != "" {
				call.Function.Name = tc.Function.Name
			}
			call.Function.Arguments += tc.Function.Arguments
		}
	}
}

func (t *streamedCalls) check(req *openai.ChatRequest) (calls, invalid int) {
	return checkToolCalls(req, t.calls)
}
