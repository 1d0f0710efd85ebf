package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// NewProxy returns the floor: a plain byte-forwarding reverse proxy
// (net/http/httputil.ReverseProxy) to target on net/http's Transport, with
// the pool settings of the gateway's (internal/app's newHTTPClient, whose
// plain-HTTP upstreams go through internal/h1 instead): what anyone would
// write in Go to forward bytes. Streams are flushed as they arrive. Errors
// go to errorLog (nil: discarded).
func NewProxy(target *url.URL, errorLog *log.Logger) http.Handler {
	if errorLog == nil {
		errorLog = log.New(discard{}, "", 0)
	}
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = target.Host
			if r.Out.Body != nil && r.Out.Body != http.NoBody {
				r.Out.Body = &stickyEOF{ReadCloser: r.Out.Body}
			}
		},
		Transport:     upstreamTransport(),
		FlushInterval: -1,
		ErrorLog:      errorLog,
	}
}

// upstreamTransport mirrors the gateway's transport to its upstreams.
func upstreamTransport() *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// KeyPair names the PEM files of a TLS certificate and its key.
type KeyPair struct{ Cert, Key string }

// Serve serves h on addr until ctx is cancelled; over TLS, where HTTP/2 is
// offered too, when tlsFiles is set.
func Serve(ctx context.Context, addr string, h http.Handler, tlsFiles *KeyPair) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: log.New(discard{}, "", 0)}
	errc := make(chan error, 1)
	go func() {
		if tlsFiles != nil {
			errc <- srv.ServeTLS(ln, tlsFiles.Cert, tlsFiles.Key)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close() // idle streams never finish by themselves
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// stickyEOF answers io.EOF to every read after the first, without reading
// the body again. The transport reads a request body once more after its
// declared length, to check it was not longer; when the upstream has
// answered by then, the server has already closed the inbound body, that
// read fails and the transport drops the upstream connection with the
// answer half copied (golang/go#40747). Without this, about one stream in
// a few hundred is cut short.
type stickyEOF struct {
	io.ReadCloser
	eof bool
}

func (b *stickyEOF) Read(p []byte) (int, error) {
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}
