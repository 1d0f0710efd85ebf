package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/preset"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/router"
	"github.com/switchyard-dev/switchyard/internal/sse"
)

// wireFormat renders what the router returns in one client dialect: chat
// completions, or legacy text completions.
type wireFormat interface {
	response(g *generation, resp *openai.ChatResponse) any
	chunk(g *generation, c *openai.Chunk) any
	// final is the last chunk: usage alone (e == nil), or an in-band error
	// with the usage so far.
	final(g *generation, u *openai.Usage, e *apierr.Error) any
}

// POST /chat/completions
func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) (err error) {
	g, err := s.begin(w, r)
	if err != nil {
		return err
	}
	defer func() {
		err = s.scrub(g, err)
		s.recordFailure(g, err)
		g.release() // unless settled
	}()
	body, held, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	defer s.bodies.give(held)
	var req openai.ChatRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	// Only a request that names a preset is parsed again: looking for one
	// in the raw body cost a scan of all of it (12 µs for 100 KB).
	if preset.Invokes(&req) {
		if body, err = s.applyPreset(r.Context(), g.caller.account.ID, body); err != nil {
			return err
		}
		req = openai.ChatRequest{}
		if err := decodeJSON(body, &req); err != nil {
			return err
		}
		req.Preset = nil // resolved
	}
	if err := validateChat(&req); err != nil {
		return err
	}
	g.req = &req
	return s.run(w, r, g, chatFormat{})
}

// routerCall is what the HTTP request asks of the router: the routing
// explanation (X-Switchyard-Routing: explain), the conversation's session
// for prompt-cache stickiness (X-Session-Id), and the account's own
// provider keys.
func (s *Server) routerCall(r *http.Request, g *generation) router.Call {
	return router.Call{
		// A routing explanation would name a stealth model's providers.
		Explain: len(g.stealth) == 0 && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Switchyard-Routing")), "explain"),
		Session: r.Header.Get("X-Session-Id"),
		BYOK:    g.byok,
	}
}

// begin assigns the generation id (sent on every response, errors
// included) and authenticates the caller.
func (s *Server) begin(w http.ResponseWriter, r *http.Request) (*generation, error) {
	now := s.now()
	g := &generation{id: newGenerationID(now.Unix()), start: now, created: now.Unix(), attr: attributionOf(r)}
	w.Header().Set("X-Generation-Id", g.id)
	c, err := s.authenticateInference(r)
	g.caller = c
	return g, err
}

// run executes a decoded request, streamed or not, within the caller's
// rate limits and a credit hold for its worst-case cost.
//
// run, openStream, relay and respond are kept apart, and their rare paths
// are methods of their own, so that the frames on the way to the upstream
// and under a waiting stream stay small: net/http serves a connection on
// one goroutine, whose stack doubles when a call needs more and is halved
// only while under a quarter of it is used. A handler that passed 8 KiB
// on its way to the upstream kept 16 KiB for as long as its stream lasted
// (an idle stream cost 68 KiB instead of 58; internal/app's
// TestIdleStreamMemory holds the budget). Runtime slow paths (a sweep
// inside an allocation) can still take a rare request past 8 KiB.
func (s *Server) run(w http.ResponseWriter, r *http.Request, g *generation, f wireFormat) error {
	g.stealth = s.stealthModels(g.req)
	g.byok = s.byokClients(r.Context(), g)
	g.route = s.routerCall(r, g)
	if err := s.rateLimit(r.Context(), w, g); err != nil {
		return err
	}
	if err := s.reserve(r.Context(), w, g); err != nil {
		return err
	}
	if g.req.Stream {
		g.streamed = true
		// Opened here and relayed from here, so that the opening's frame
		// is not under the relay's (see relay).
		sr, committed, err := s.openStream(w, r, g, f)
		if sr == nil {
			return err
		}
		return s.relay(w, r, g, f, sr, committed)
	}
	return s.respond(w, r, g, f)
}

// respond serves a non-streamed request.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, g *generation, f wireFormat) error {
	res, err := s.router.Chat(r.Context(), g.req, g.route)
	if err != nil {
		return err
	}
	g.serve(res.Candidate, res.Attempts, res.Explain)
	g.firstToken = s.now().Sub(g.start)
	resp := res.Response
	g.collect(resp)
	u := s.settle(g)
	resp.Usage = u
	// Charged (in memory; written in the next batch) before the client
	// has the response, so what it reads next includes this generation.
	rec, charged := s.charge(g, u)
	writeResponse(w, f.response(g, resp))
	s.overhead.done(r.Context(), g.start, s.now(), res.Attempts)
	if charged {
		// The response leaves now (it has its Content-Length: net/http
		// has nothing to add at the handler's end), and the log line is
		// written after it instead of on its way.
		http.NewResponseController(w).Flush()
		s.logGeneration(r.Context(), g, &rec)
	}
	return nil
}

// collect notes what a non-streamed response tells of the generation:
// its usage, finish reasons and output.
func (g *generation) collect(resp *openai.ChatResponse) {
	g.usage, g.upstreamID = resp.Usage, resp.ID
	for i := range resp.Choices {
		c := &resp.Choices[i]
		if c.FinishReason != nil {
			g.finish = *c.FinishReason
		}
		if c.NativeFinishReason != nil {
			g.nativeFinish = *c.NativeFinishReason
		}
		if c.Message.Content != nil {
			g.output.WriteString(*c.Message.Content)
		}
		if c.Message.Reasoning != nil {
			g.output.WriteString(*c.Message.Reasoning)
		}
		for _, tc := range c.Message.ToolCalls {
			g.output.WriteString(tc.Function.Name)
			g.output.WriteString(tc.Function.Arguments)
		}
	}
}

// openStream opens an upstream stream, sending keep-alive comments while
// the router looks for one. Until the first chunk the router may fail
// over; after it, errors travel in-band as one final error chunk. With no
// stream, it returns the error to answer with, or nil when the failure
// went in-band (the comments had committed the response); committed says
// whether they had.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request, g *generation, f wireFormat) (sr *router.StreamResult, committed bool, err error) {
	ka := startKeepAlive(w, s.keepAlive)
	sr, err = s.router.ChatStream(r.Context(), g.req, g.route)
	g.route = router.Call{} // routed: a stream, idle for minutes maybe, need not keep its plan
	committed = ka.stop()
	if err != nil {
		if !committed {
			return nil, false, err
		}
		s.failCommitted(w, r, g, f, err)
		return nil, true, nil
	}
	return sr, committed, nil
}

// failCommitted ends a stream whose keep-alive comments had committed the
// response when every upstream failed: the error goes in-band.
func (s *Server) failCommitted(w http.ResponseWriter, r *http.Request, g *generation, f wireFormat, err error) {
	s.logError(r, apierr.From(err))
	err = s.scrub(g, err)
	if r.Context().Err() == nil {
		s.writeFinal(w, r, f.final(g, nil, apierr.From(err)))
	}
	g.status = http.StatusOK // the keep-alive sent the headers
	s.recordFailure(g, err)
}

// relay writes the chunks of a stream the router opened, then the final
// chunk and [DONE]; committed says the keep-alive comments already sent
// the headers. Its frame is on the stack when the response's headers are
// written (net/http's chunkWriter.writeHeader alone takes 2.8 KB) and
// while the stream waits, so its rare paths are methods of their own
// (see run).
func (s *Server) relay(w http.ResponseWriter, r *http.Request, g *generation, f wireFormat, sr *router.StreamResult, committed bool) error {
	defer sr.Stream.Close()
	defer s.overhead.track(r.Context(), sr, g.start, s.now)()
	s.beginRelay(w, g, sr, committed)
	sw := sse.NewWriter(w)
	for {
		// Chunks are written without flushing and flushed when the next
		// is not at hand yet: chunks the upstream sent together leave in
		// one write, and none waits for the upstream unsent.
		if !provider.Buffered(sr.Stream) {
			if err := sw.Flush(); err != nil {
				s.clientLeft(r, g)
				return nil
			}
		}
		chunk, err := sr.Stream.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.endStream(w, r, g, f, err)
		}
		g.observe(chunk, s.now())
		if g.finish == openai.FinishError {
			return s.endStream(w, r, g, f, upstreamStopped(g))
		}
		if len(chunk.Choices) == 0 {
			continue // a usage-only chunk: we send our own, with the cost
		}
		written, err := g.writeChunk(sw, f.chunk(g, chunk))
		if err != nil {
			return s.endStream(w, r, g, f, err)
		}
		if !written {
			s.clientLeft(r, g)
			return nil
		}
	}
	s.endRelay(r, g, f, sw)
	return nil
}

// writeChunk writes v, a streamed chunk of a wireFormat, as an event
// without flushing it. Its JSON is encoded in a pooled buffer, given back
// once the event is in the response's buffer: a stream that waits for its
// next chunk, for minutes maybe, holds none. The error is the encoding's;
// written is false if the client is gone.
func (g *generation) writeChunk(sw *sse.Writer, v any) (written bool, err error) {
	buf := responseBufs.Get().(*[]byte)
	b, err := g.appendChunk((*buf)[:0], v)
	if err == nil {
		written = sw.DataNoFlush(b) == nil
	}
	putResponseBuf(buf, b)
	return written, err
}

// beginRelay notes the endpoint that serves g and commits the response
// unless the keep-alive comments did.
func (s *Server) beginRelay(w http.ResponseWriter, g *generation, sr *router.StreamResult, committed bool) {
	g.serve(sr.Candidate, sr.Attempts, sr.Explain)
	if !committed {
		writeStreamHeaders(w)
	}
}

// clientLeft records a stream whose client went away.
func (s *Server) clientLeft(r *http.Request, g *generation) {
	g.cancelled = true
	s.record(r.Context(), g, s.settle(g))
}

// upstreamStopped is the in-band error of an upstream that reported
// failure as a finish reason (DeepSeek's insufficient_system_resource,
// vLLM's abort): the same as for any other failure.
func upstreamStopped(g *generation) error {
	return &provider.Error{Provider: g.providerName(), Type: "server",
		Message: "the upstream stopped the generation: " + orUnknown(g.nativeFinish)}
}

// endRelay settles a stream that ended well and writes its final chunk
// (the usage, with the cost) and [DONE]. They are not flushed: net/http
// flushes them with the end of the response, all in one write.
func (s *Server) endRelay(r *http.Request, g *generation, f wireFormat, sw *sse.Writer) {
	u := s.settle(g)
	s.record(r.Context(), g, u)
	g.writeChunk(sw, f.final(g, u, nil))
	sw.DataNoFlush([]byte("[DONE]"))
}

// endStream finishes a stream that failed after its first byte: a client
// that left is recorded as cancelled; an upstream failure is reported
// in-band with the usage so far, and the stream ends without [DONE].
func (s *Server) endStream(w http.ResponseWriter, r *http.Request, g *generation, f wireFormat, err error) error {
	ctx := r.Context()
	if ctx.Err() != nil {
		g.cancelled = true
		s.record(ctx, g, s.settle(g))
		return nil
	}
	var e *apierr.Error
	var pe *provider.Error
	if errors.As(err, &pe) {
		e = router.UpstreamError(pe)
	} else {
		e = apierr.Wrap(apierr.Upstream, err, "the upstream stream failed")
	}
	s.logError(r, e)
	e = apierr.From(s.scrub(g, e))
	g.finish, g.errorMessage = openai.FinishError, e.Message
	u := s.settle(g)
	s.record(ctx, g, u)
	s.writeFinal(w, r, f.final(g, u, e))
	return nil
}

func (s *Server) writeFinal(w http.ResponseWriter, r *http.Request, v any) {
	b, err := appendChunk(nil, v)
	if err != nil {
		s.logger.LogAttrs(r.Context(), slog.LevelError, "encoding final chunk", slog.Any("error", err))
		return
	}
	sse.NewWriter(w).Data(b)
}

// chunkAppender is a chunk type with a hand-written JSON encoding
// (openai.Chunk, openai.CompletionResponse): encoding/json's reflection,
// paid for every chunk of a stream, was a large share of relaying one.
type chunkAppender interface {
	AppendJSON(dst []byte) ([]byte, error)
}

// appendChunk appends v, a chunk of a wireFormat, as JSON: through its
// AppendJSON if it has one, else with encoding/json.
func appendChunk(dst []byte, v any) ([]byte, error) {
	if a, ok := v.(chunkAppender); ok {
		return a.AppendJSON(dst)
	}
	b, err := json.Marshal(v)
	return append(dst, b...), err
}

// appendChunk appends v, a streamed chunk of a wireFormat, as appendChunk
// does: chat chunks through g's encoder, which keeps their head.
func (g *generation) appendChunk(dst []byte, v any) ([]byte, error) {
	if c, ok := v.(*openai.Chunk); ok {
		return g.chunks.Append(dst, c)
	}
	return appendChunk(dst, v)
}

// writeResponse writes v, the non-streamed response of a wireFormat,
// with status 200 and json.Marshal's bytes, as writeJSON would: through
// its AppendJSON, if it has one, into a pooled buffer, with the HTML
// escapes json.Marshal adds (openai.EscapeHTML). If AppendJSON fails,
// writeJSON writes v, or the error it writes when json.Marshal fails too.
func writeResponse(w http.ResponseWriter, v any) {
	a, ok := v.(chunkAppender)
	if !ok {
		writeJSON(w, http.StatusOK, v)
		return
	}
	buf := responseBufs.Get().(*[]byte)
	b, err := a.AppendJSON((*buf)[:0])
	if err != nil {
		writeJSON(w, http.StatusOK, v)
		return
	}
	b = openai.EscapeHTML(b, 0)
	writeJSONBytes(w, http.StatusOK, b)
	putResponseBuf(buf, b)
}

// responseBufs holds the buffers responses and streamed chunks are encoded
// into; those that grew beyond maxPooledResponse are left to the
// collector.
var responseBufs = sync.Pool{New: func() any { return new([]byte) }}

// putResponseBuf gives buf back to responseBufs with b, what was encoded
// in its memory.
func putResponseBuf(buf *[]byte, b []byte) {
	if cap(b) <= maxPooledResponse {
		*buf = b[:0]
		responseBufs.Put(buf)
	}
}

const maxPooledResponse = 64 << 10

// chatFormat is the chat completions dialect.
type chatFormat struct{}

func (chatFormat) response(g *generation, resp *openai.ChatResponse) any {
	resp.ID = g.id
	resp.Object = openai.ObjectChatCompletion
	resp.Created = g.created
	resp.Model = g.cand.Model.ID
	resp.Provider = g.providerName()
	if g.stealthy() { // what the upstream says of itself
		resp.SystemFingerprint, resp.ServiceTier = "", ""
	}
	if g.explain != nil {
		resp.SwitchyardRouting = g.explain
	}
	for i := range resp.Choices {
		c := &resp.Choices[i]
		if c.Message.Role == "" {
			c.Message.Role = "assistant"
		}
		if len(c.Logprobs) == 0 {
			c.Logprobs = json.RawMessage("null")
		}
	}
	return resp
}

func (chatFormat) chunk(g *generation, c *openai.Chunk) any {
	c.ID = g.id
	c.Object = openai.ObjectChatCompletionChunk
	c.Created = g.created
	c.Model = g.cand.Model.ID
	c.Provider = g.providerName()
	if g.stealthy() {
		c.SystemFingerprint, c.ServiceTier = "", ""
	}
	c.Usage = nil
	c.Error = nil
	return c
}

func (chatFormat) final(g *generation, u *openai.Usage, e *apierr.Error) any {
	c := &openai.Chunk{
		ID:      g.id,
		Object:  openai.ObjectChatCompletionChunk,
		Created: g.created,
		Model:   g.modelID(),
		Choices: []openai.ChunkChoice{},
		Usage:   u,
	}
	if g.served {
		c.Provider = g.providerName()
	}
	if g.explain != nil {
		c.SwitchyardRouting = g.explain
	}
	if e != nil {
		body := errorBody(e)
		c.Error = &body
		c.Choices = []openai.ChunkChoice{{
			Delta:        openai.Delta{Content: openai.Ptr("")},
			FinishReason: openai.Ptr(openai.FinishError),
		}}
	}
	return c
}

// modelID is the served model, or the requested one before any served.
func (g *generation) modelID() string {
	if g.served {
		return g.cand.Model.ID
	}
	return g.req.Model
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown reason"
	}
	return s
}
