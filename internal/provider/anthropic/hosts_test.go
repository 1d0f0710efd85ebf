package anthropic

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/awsauth"
	"github.com/switchyard-dev/switchyard/internal/provider/googleauth"
)

const textReply = `{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","usage":{"input_tokens":25,"output_tokens":15}}`

// hostFake is a fake of a hosted platform: it records the request URI and
// answers POSTs with answer, and token exchanges on /token.
func hostFake(t *testing.T, answer http.HandlerFunc) (*fake, *string) {
	t.Helper()
	var uri string
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"ya29.sa","token_type":"Bearer","expires_in":3600}`)
			return
		}
		uri = r.RequestURI
		answer(w, r)
	})
	return f, &uri
}

// consume reads a stream to its end: the text, the last chunk, the error.
func consume(t *testing.T, s provider.Stream) (string, *openai.Chunk, error) {
	t.Helper()
	defer s.Close()
	var text strings.Builder
	var last *openai.Chunk
	for {
		c, err := s.Next()
		if err != nil {
			return text.String(), last, err
		}
		if p := c.Choices[0].Delta.Content; p != nil {
			text.WriteString(*p)
		}
		last = c
	}
}

func TestVertex(t *testing.T) {
	for _, stream := range []bool{false, true} {
		answer := jsonAnswer(200, textReply)
		if stream {
			answer = sseAnswer(textEvents...)
		}
		f, uri := hostFake(t, answer)
		p, err := New(provider.Config{Slug: "vertex", Platform: "vertex", BaseURL: f.srv.URL + "/v1/projects/proj/locations/us-east5",
			Auth: googleauth.Static("ya29.static"), APIKey: "ignored", HTTPClient: f.srv.Client(), Headers: map[string]string{"Anthropic-Beta": "b1"}})
		if err != nil {
			t.Fatal(err)
		}
		req := chatReq(user("hi"))
		req.UpstreamModel = "claude-sonnet-4@20250514"
		var text, finish string
		if stream {
			s, err := p.ChatStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			var last *openai.Chunk
			if text, last, err = consume(t, s); err != io.EOF {
				t.Fatal(err)
			}
			finish = deref(last.Choices[0].FinishReason)
		} else {
			resp, err := p.Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			text, finish = deref(resp.Choices[0].Message.Content), deref(resp.Choices[0].FinishReason)
		}
		if text != "Hello!" || finish != "stop" {
			t.Errorf("stream=%v: text %q finish %q", stream, text, finish)
		}
		op := ":rawPredict"
		if stream {
			op = ":streamRawPredict"
		}
		if want := "/v1/projects/proj/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514" + op; *uri != want {
			t.Errorf("URI %q, want %q", *uri, want)
		}
		h := f.header
		if h.Get("Authorization") != "Bearer ya29.static" || h.Get("X-Api-Key") != "" || h.Get("Anthropic-Version") != "" || h.Get("Anthropic-Beta") != "b1" {
			t.Errorf("headers %v", h)
		}
		body := f.request(t)
		if _, ok := body["model"]; ok || body["anthropic_version"] != VertexVersion || (body["stream"] == true) != stream {
			t.Errorf("body %v", body)
		}
	}
}

// serviceAccount returns a service-account key whose token_uri is tokenURL.
func serviceAccount(t *testing.T, tokenURL string) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	key, _ := json.Marshal(map[string]string{
		"type":         "service_account",
		"project_id":   "proj",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "gw@proj.iam.gserviceaccount.com",
		"token_uri":    tokenURL,
	})
	return key
}

func TestVertexServiceAccount(t *testing.T) {
	f, _ := hostFake(t, jsonAnswer(200, textReply))
	key := serviceAccount(t, f.srv.URL+"/token")
	path := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(path, key, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, cred := range map[string]string{"inline JSON": string(key), "file path": path} {
		p, err := New(provider.Config{Slug: "v", Platform: "vertex", BaseURL: f.srv.URL + "/v1/projects/proj/locations/global", APIKey: provider.Secret(cred), HTTPClient: f.srv.Client()})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := p.Chat(context.Background(), chatReq(user("hi"))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := f.header.Get("Authorization"); got != "Bearer ya29.sa" {
			t.Errorf("%s: Authorization %q", name, got)
		}
	}
	for name, cred := range map[string]string{"none": "", "missing file": filepath.Join(t.TempDir(), "nope.json"), "not a key": `{"type":"authorized_user"}`} {
		if _, err := New(provider.Config{Slug: "v", Platform: "vertex", BaseURL: f.srv.URL, APIKey: provider.Secret(cred)}); err == nil {
			t.Errorf("%s: credential accepted", name)
		}
	}
}

func TestPlatformFromHost(t *testing.T) {
	tests := []struct {
		base, key, model, want string
		stream                 bool
	}{
		{"https://api.anthropic.com/v1", "k", "claude-x", "https://api.anthropic.com/v1/messages", false},
		{"https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5", "", "claude-x@1", "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-x@1:streamRawPredict", true},
		{"https://aiplatform.googleapis.com/v1/projects/p/locations/global", "", "claude-x", "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/anthropic/models/claude-x:rawPredict", false},
		{"https://bedrock-runtime.eu-west-1.amazonaws.com", "AKIAEXAMPLE:secret", "anthropic.claude-x-v1:0", "https://bedrock-runtime.eu-west-1.amazonaws.com/model/anthropic.claude-x-v1%3A0/invoke", false},
		{"https://bedrock-runtime.eu-west-1.amazonaws.com/", "AKIAEXAMPLE:secret", "anthropic.claude-x-v1:0", "https://bedrock-runtime.eu-west-1.amazonaws.com/model/anthropic.claude-x-v1%3A0/invoke-with-response-stream", true},
	}
	for _, tt := range tests {
		cfg := provider.Config{Slug: "x", BaseURL: tt.base, APIKey: provider.Secret(tt.key)}
		if tt.key == "" {
			cfg.Auth = googleauth.Static("t")
		}
		p, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.(*Adapter).endpoint(tt.model, tt.stream).String(); got != tt.want {
			t.Errorf("endpoint %s\n     want %s", got, tt.want)
		}
	}
	p, _ := New(provider.Config{Slug: "x", BaseURL: "https://bedrock-runtime.eu-west-1.amazonaws.com", APIKey: "AKIAEXAMPLE:secret"})
	if a, ok := p.(*Adapter).auth.(*awsauth.Auth); !ok || a.Region() != "eu-west-1" || !a.SigV4() {
		t.Errorf("bedrock auth %#v", p.(*Adapter).auth)
	}
	if _, err := New(provider.Config{Slug: "x", Platform: "azure"}); err == nil {
		t.Error("unknown platform accepted")
	}
}

// frame is one AWS event-stream message.
type frame struct {
	headers map[string]string
	payload []byte
}

// chunkFrame wraps an Anthropic stream event as Bedrock does.
func chunkFrame(eventJSON string) frame {
	p, _ := json.Marshal(map[string]string{"bytes": base64.StdEncoding.EncodeToString([]byte(eventJSON))})
	return frame{map[string]string{":message-type": "event", ":event-type": "chunk", ":content-type": "application/json"}, p}
}

func exceptionFrame(typ, msg string) frame {
	return frame{map[string]string{":message-type": "exception", ":exception-type": typ, ":content-type": "application/json"}, []byte(`{"message":"` + msg + `"}`)}
}

// awsAnswer streams frames with the event-stream encoder.
func awsAnswer(t *testing.T, frames ...frame) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.WriteHeader(200)
		enc := eventstream.NewEncoder()
		for _, f := range frames {
			var h eventstream.Headers
			for k, v := range f.headers {
				h.Set(k, eventstream.StringValue(v))
			}
			if err := enc.Encode(w, eventstream.Message{Headers: h, Payload: f.payload}); err != nil {
				t.Error(err)
			}
			w.(http.Flusher).Flush()
		}
	}
}

func bedrockProvider(t *testing.T, f *fake) provider.Provider {
	t.Helper()
	p, err := New(provider.Config{Slug: "bedrock", Name: "Bedrock", Platform: "bedrock", BaseURL: f.srv.URL, APIKey: "AKIAEXAMPLE:secret", HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func bedrockReq() *provider.Request {
	r := chatReq(user("hi"))
	r.UpstreamModel = "anthropic.claude-x-v1:0"
	return r
}

func TestBedrock(t *testing.T) {
	var frames []frame
	for _, e := range textEvents {
		frames = append(frames, chunkFrame(e.data))
	}
	for _, stream := range []bool{false, true} {
		answer := jsonAnswer(200, textReply)
		if stream {
			answer = awsAnswer(t, frames...)
		}
		f, uri := hostFake(t, answer)
		p := bedrockProvider(t, f)
		var text, finish string
		var u *openai.Usage
		if stream {
			s, err := p.ChatStream(context.Background(), bedrockReq())
			if err != nil {
				t.Fatal(err)
			}
			var last *openai.Chunk
			if text, last, err = consume(t, s); err != io.EOF {
				t.Fatal(err)
			}
			finish, u = deref(last.Choices[0].FinishReason), last.Usage
		} else {
			resp, err := p.Chat(context.Background(), bedrockReq())
			if err != nil {
				t.Fatal(err)
			}
			text, finish, u = deref(resp.Choices[0].Message.Content), deref(resp.Choices[0].FinishReason), resp.Usage
		}
		if text != "Hello!" || finish != "stop" || u == nil || u.CompletionTokens != 15 {
			t.Errorf("stream=%v: text %q finish %q usage %+v", stream, text, finish, u)
		}
		op := "invoke"
		if stream {
			op = "invoke-with-response-stream"
		}
		if want := "/model/anthropic.claude-x-v1%3A0/" + op; *uri != want {
			t.Errorf("URI %q, want %q", *uri, want)
		}
		h := f.header
		if !strings.HasPrefix(h.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/") || !strings.Contains(h.Get("Authorization"), "/us-east-1/bedrock/aws4_request") ||
			h.Get("X-Amz-Content-Sha256") == "" || h.Get("X-Api-Key") != "" || h.Get("Anthropic-Version") != "" {
			t.Errorf("headers %v", h)
		}
		body := f.request(t)
		_, hasModel := body["model"]
		_, hasStream := body["stream"]
		if hasModel || hasStream || body["anthropic_version"] != BedrockVersion {
			t.Errorf("body %v", body)
		}
	}
}

func TestBedrockStreamFailures(t *testing.T) {
	start := chunkFrame(textEvents[0].data)
	tests := []struct {
		name      string
		frames    []frame
		status    int
		typ, code string
		retryable bool
	}{
		{"throttling", []frame{start, exceptionFrame("throttlingException", "slow down")}, 429, "rate_limit_exceeded", "throttlingException", true},
		{"model stream error", []frame{start, exceptionFrame("modelStreamErrorException", "model failed")}, 424, "server", "modelStreamErrorException", false},
		{"service unavailable", []frame{exceptionFrame("serviceUnavailableException", "busy")}, 503, "provider_overloaded", "serviceUnavailableException", true},
		{"anthropic error inside a chunk", []frame{start, chunkFrame(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)}, 529, "provider_overloaded", "overloaded_error", true},
		{"truncated", []frame{start}, 0, "provider_unavailable", "", true},
		{"bad chunk", []frame{{map[string]string{":message-type": "event", ":event-type": "chunk"}, []byte(`{"bytes":"!!"}`)}}, 0, "server", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := hostFake(t, awsAnswer(t, tt.frames...))
			s, err := bedrockProvider(t, f).ChatStream(context.Background(), bedrockReq())
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = consume(t, s)
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Status != tt.status || pe.Type != tt.typ || pe.Code != tt.code || pe.Retryable() != tt.retryable || pe.Provider != "Bedrock" {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}

func TestBedrockHTTPErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		headers []string
		typ     string
		message string
	}{
		{"throttling header", 429, `{"message":"Too many requests, please wait before trying again."}`,
			[]string{"X-Amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}, "rate_limit_exceeded", "Too many requests, please wait before trying again."},
		{"context too long", 400, `{"__type":"ValidationException","message":"Input is too long for requested model."}`, nil, "context_length_exceeded", "Input is too long for requested model."},
		{"access denied", 403, `{"Message":"You don't have access to the model with the specified model ID."}`,
			[]string{"X-Amzn-ErrorType", "AccessDeniedException"}, "permission_denied", "You don't have access to the model with the specified model ID."},
		{"anthropic-shaped", 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, nil, "provider_overloaded", "Overloaded"},
		{"unknown", 502, `bad gateway`, nil, "server", "bad gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := hostFake(t, jsonAnswer(tt.status, tt.body, tt.headers...))
			_, err := bedrockProvider(t, f).Chat(context.Background(), bedrockReq())
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Status != tt.status || pe.Type != tt.typ || pe.Message != tt.message || pe.Raw != tt.body {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}

// TestHostsInlineMedia: Vertex and Bedrock do not fetch URLs, so the
// gateway inlines http(s) images.
func TestHostsInlineMedia(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n0000")
	f, _ := hostFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
			return
		}
		jsonAnswer(200, textReply)(w, r)
	})
	p, err := New(provider.Config{Slug: "b", Platform: "bedrock", BaseURL: f.srv.URL, Auth: googleauth.Static("t"), HTTPClient: f.srv.Client(), Media: testMedia})
	if err != nil {
		t.Fatal(err)
	}
	req := bedrockReq()
	req.Chat.Messages = []openai.Message{{Role: "user", Content: openai.PartsContent(openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: f.srv.URL + "/cat.png"}})}}
	if _, err := p.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Messages []turn `json:"messages"`
	}
	json.Unmarshal(f.body, &body)
	src := body.Messages[0].Content[0].Source
	if src == nil || src.Type != "base64" || src.MediaType != "image/png" || src.Data != base64.StdEncoding.EncodeToString(png) {
		t.Errorf("source %+v", src)
	}
}
