package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestProxyForwards: the floor passes requests and answers through
// unchanged, streams included.
func TestProxyForwards(t *testing.T) {
	var gotBody, gotPath, gotAuth string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody, gotPath, gotAuth = string(b), r.URL.Path, r.Header.Get("Authorization")
		w.Header().Set("X-Upstream", "yes")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "answer")
	}))
	defer up.Close()
	target, _ := url.Parse(up.URL)
	px := httptest.NewServer(NewProxy(target, nil))
	defer px.Close()
	req, _ := http.NewRequest(http.MethodPost, px.URL+"/v1/chat/completions", strings.NewReader("question"))
	req.Header.Set("Authorization", "Bearer k")
	resp, err := px.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || string(b) != "answer" || resp.Header.Get("X-Upstream") != "yes" ||
		gotBody != "question" || gotPath != "/v1/chat/completions" || gotAuth != "Bearer k" {
		t.Fatalf("through the proxy: %d %q %v; upstream saw %q %q %q", resp.StatusCode, b, resp.Header, gotBody, gotPath, gotAuth)
	}

	// Streams arrive whole, under concurrency.
	fake := httptest.NewServer(NewUpstream(UpstreamOptions{}))
	defer fake.Close()
	target, _ = url.Parse(fake.URL)
	px2 := httptest.NewServer(NewProxy(target, nil))
	defer px2.Close()
	rq := &Request{URL: px2.URL + "/v1/chat/completions", Body: ChatBody("m", true, 1<<10), Stream: true, Done: []byte("[DONE]")}
	res := Closed(context.Background(), NewClient(8, nil), rq, 8, 200*time.Millisecond)
	if res.Requests == 0 || res.Errors > 0 {
		t.Fatalf("%d streams, %d errors: %s", res.Requests, res.Errors, res.FirstError)
	}
}

// readCounter counts reads and fails any after the first EOF, as a
// request body the server has closed does.
type readCounter struct {
	r     io.Reader
	reads int
	eof   bool
}

func (c *readCounter) Read(p []byte) (int, error) {
	c.reads++
	if c.eof {
		return 0, errors.New("http: invalid Read on closed Body")
	}
	n, err := c.r.Read(p)
	c.eof = err == io.EOF
	return n, err
}

func (c *readCounter) Close() error { return nil }

func TestStickyEOF(t *testing.T) {
	rc := &readCounter{r: strings.NewReader("abc")}
	b := &stickyEOF{ReadCloser: rc}
	got, err := io.ReadAll(b)
	if err != nil || string(got) != "abc" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	reads := rc.reads
	for range 3 {
		if n, err := b.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Fatalf("Read after EOF = %d, %v; want 0, EOF", n, err)
		}
	}
	if rc.reads != reads {
		t.Errorf("the body was read %d more times after its EOF", rc.reads-reads)
	}
}
