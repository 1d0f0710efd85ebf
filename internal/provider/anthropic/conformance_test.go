package anthropic

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/googleauth"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestConformance runs the shared conformance suite against fixtures in
// Anthropic's Messages wire format (protocols.md §2): message bodies, SSE
// streams from message_start to message_stop with pings, signed thinking
// blocks, {"type":"error"} bodies and in-band error events.
func TestConformance(t *testing.T) {
	providertest.RunConformance(t, providertest.Harness{
		New:     newConformance(func(cfg *provider.Config) { cfg.BaseURL += "/v1" }),
		Model:   "claude-test",
		Headers: []string{"X-Api-Key", "Anthropic-Version", "Content-Type", "Accept"},
	})
}

// TestConformanceVertex runs the suite on Vertex AI's rawPredict and
// streamRawPredict: the same replies, other URLs, body and credential.
func TestConformanceVertex(t *testing.T) {
	providertest.RunConformance(t, providertest.Harness{
		New: newConformance(func(cfg *provider.Config) {
			cfg.BaseURL += "/v1/projects/test-project/locations/us-east5"
			cfg.Platform, cfg.Auth = PlatformVertex, googleauth.Static("ya29.test")
		}),
		Model:   "claude-sonnet-4@20250514",
		Dir:     filepath.Join("testdata", "conformance", "vertex"),
		Replies: filepath.Join("testdata", "conformance"),
		Headers: []string{"Authorization", "X-Api-Key", "Anthropic-Version", "Content-Type", "Accept"},
	})
}

// TestConformanceBedrock runs the suite on Bedrock's InvokeModel: the
// replies' stream events arrive wrapped in AWS event-stream chunks, and
// errors have Bedrock's shape.
func TestConformanceBedrock(t *testing.T) {
	providertest.RunConformance(t, providertest.Harness{
		New:     newConformance(func(cfg *provider.Config) { cfg.Platform = PlatformBedrock }),
		Model:   "anthropic.claude-sonnet-4-20250514-v1:0",
		Dir:     filepath.Join("testdata", "conformance", "bedrock"),
		Replies: filepath.Join("testdata", "conformance"),
		Adapt:   onBedrock,
		Headers: []string{"Authorization", "X-Api-Key", "Anthropic-Version", "Content-Type", "Accept"},
	})
}

func newConformance(adjust func(*provider.Config)) func(testing.TB, provider.Config) provider.Provider {
	return func(t testing.TB, cfg provider.Config) provider.Provider {
		adjust(&cfg)
		p, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// bedrockExceptions are the exceptions Bedrock answers for Anthropic's
// error statuses (protocols.md §4.4).
var bedrockExceptions = map[int]struct {
	status int
	name   string
}{
	400: {400, "ValidationException"},
	401: {401, "UnrecognizedClientException"},
	429: {429, "ThrottlingException"},
	500: {500, "InternalServerException"},
	529: {503, "ServiceUnavailableException"},
}

// onBedrock rewrites a reply of Anthropic's API into what Bedrock's
// InvokeModel sends for it.
func onBedrock(r providertest.Reply) providertest.Reply {
	message := func(data json.RawMessage) json.RawMessage {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		b, _ := json.Marshal(map[string]string{"message": e.Error.Message})
		return b
	}
	switch {
	case r.Framing == "sse":
		out := r
		out.Framing, out.Events = "aws", nil
		for _, ev := range r.Events {
			switch {
			case ev.Comment != "":
			case ev.Event == "error":
				out.Events = append(out.Events, providertest.ReplayEvent{MessageType: "exception",
					ExceptionType: "serviceUnavailableException", Data: message(ev.Data)})
			default:
				out.Events = append(out.Events, providertest.ReplayEvent{Event: "chunk", Bytes: ev.Data})
			}
		}
		return out
	case r.Status >= 400:
		exc, ok := bedrockExceptions[r.Status]
		if !ok {
			exc.status, exc.name = r.Status, "InternalServerException"
		}
		out := r
		out.Status, out.Body = exc.status, message(r.Body)
		out.Headers = map[string]string{"X-Amzn-ErrorType": exc.name + ":http://internal.amazon.com/coral/com.amazon.bedrock/"}
		for k, v := range r.Headers {
			if http.CanonicalHeaderKey(k) == "Retry-After" {
				out.Headers[k] = v
			}
		}
		return out
	}
	return r
}
