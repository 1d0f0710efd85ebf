package demo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/sse"
)

// errSimulated reports, in logs, a request failed on purpose part-way.
var errSimulated = errors.New("simulated mid-stream failure")

// nullJSON is a JSON null, for fields OpenAI always sends.
func nullJSON() json.RawMessage { return json.RawMessage("null") }

// generation writes one reply to the client, paced.
type generation struct {
	id      string
	created int64
	model   string
	name    string // the provider's display name, for error messages
	reply   reply
	usage   *openai.Usage
	pace    *pacer
	failAt  int // see outcome.failAt
}

// complete answers a non-streamed request once the whole reply would have
// been generated.
func (g *generation) complete(ctx context.Context, w http.ResponseWriter) error {
	n := len(g.reply.pieces)
	if g.failAt >= 0 {
		n = g.failAt
	}
	if err := g.pace.wait(ctx, n); err != nil {
		return err
	}
	if g.failAt >= 0 {
		writeError(w, errServer(g.name))
		return errSimulated
	}
	msg := openai.ResponseMessage{Role: "assistant"}
	if tc := g.reply.tool; tc != nil {
		msg.ToolCalls = []openai.ToolCall{{
			ID:       tc.id,
			Type:     "function",
			Function: openai.FunctionCall{Name: tc.name, Arguments: g.reply.output()},
		}}
	} else {
		msg.Content = openai.Ptr(g.reply.output())
	}
	writeJSON(w, http.StatusOK, openai.ChatResponse{
		ID:                g.id,
		Object:            openai.ObjectChatCompletion,
		Created:           g.created,
		Model:             g.model,
		SystemFingerprint: systemFingerprint,
		Choices: []openai.Choice{{
			Message:      msg,
			FinishReason: openai.Ptr(g.reply.finish),
			Logprobs:     nullJSON(),
		}},
		Usage: g.usage,
	})
	return nil
}

// stream answers a streamed request: a role chunk, one delta per token, a
// finish chunk, the usage chunk when asked for, and [DONE]. It returns as
// soon as ctx is done or a write fails.
func (g *generation) stream(ctx context.Context, w http.ResponseWriter, includeUsage bool) error {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	sw := sse.NewWriter(w)

	tc := g.reply.tool
	first := openai.Delta{Role: "assistant", Content: openai.Ptr("")}
	if tc != nil {
		first = openai.Delta{Role: "assistant", ToolCalls: []openai.ToolCall{{
			Index:    openai.Ptr(0),
			ID:       tc.id,
			Type:     "function",
			Function: openai.FunctionCall{Name: tc.name},
		}}}
	}
	if err := g.send(sw, first, nil); err != nil {
		return err
	}
	for i, piece := range g.reply.pieces {
		if err := g.pace.wait(ctx, i); err != nil {
			return err
		}
		if i == g.failAt {
			if err := writeData(sw, errorEnvelope{Error: errServer(g.name).body}); err != nil {
				return err
			}
			return errSimulated
		}
		d := openai.Delta{Content: openai.Ptr(piece)}
		if tc != nil {
			d = openai.Delta{ToolCalls: []openai.ToolCall{{
				Index:    openai.Ptr(0),
				Function: openai.FunctionCall{Arguments: piece},
			}}}
		}
		if err := g.send(sw, d, nil); err != nil {
			return err
		}
	}
	if err := g.send(sw, openai.Delta{}, openai.Ptr(g.reply.finish)); err != nil {
		return err
	}
	if includeUsage {
		err := writeData(sw, openai.Chunk{
			ID:                g.id,
			Object:            openai.ObjectChatCompletionChunk,
			Created:           g.created,
			Model:             g.model,
			SystemFingerprint: systemFingerprint,
			Choices:           []openai.ChunkChoice{},
			Usage:             g.usage,
		})
		if err != nil {
			return err
		}
	}
	return sw.Data([]byte("[DONE]"))
}

// send writes one chunk with a single choice.
func (g *generation) send(sw *sse.Writer, d openai.Delta, finish *string) error {
	return writeData(sw, openai.Chunk{
		ID:                g.id,
		Object:            openai.ObjectChatCompletionChunk,
		Created:           g.created,
		Model:             g.model,
		SystemFingerprint: systemFingerprint,
		Choices: []openai.ChunkChoice{{
			Delta:        d,
			FinishReason: finish,
			Logprobs:     nullJSON(),
		}},
	})
}

// writeData writes v as one SSE data event.
func writeData(sw *sse.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sw.Data(b)
}

// pacer spaces tokens 1/TokensPerSecond apart from its creation.
type pacer struct {
	start    time.Time
	interval time.Duration // 0: no pacing
	timer    *time.Timer
}

func newPacer(tokensPerSecond float64) *pacer {
	p := &pacer{start: time.Now()}
	if tokensPerSecond > 0 {
		p.interval = time.Duration(float64(time.Second) / tokensPerSecond)
	}
	return p
}

// wait blocks until token i is due, or until ctx is done.
func (p *pacer) wait(ctx context.Context, i int) error {
	d := time.Until(p.start.Add(time.Duration(i) * p.interval))
	if d <= 0 {
		return ctx.Err()
	}
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-p.timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop releases the pacer's timer.
func (p *pacer) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}
