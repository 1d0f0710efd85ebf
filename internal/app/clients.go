package app

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/demo"
	"github.com/switchyard-dev/switchyard/internal/h1"
	"github.com/switchyard-dev/switchyard/internal/h2"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// overlay turns the config file's providers and models into a catalog
// overlay (credentials stay out of the catalog).
func overlay(cfg config.Config) catalog.Overlay {
	o := catalog.Overlay{Models: cfg.Models}
	for _, p := range cfg.Providers {
		o.Providers = append(o.Providers, p.ProviderOverlay)
	}
	return o
}

// buildClients creates one provider client per routable provider.
//
// A provider is routable when its protocol has an adapter and either it has
// a credential (the config file's api_key, its api_key_env, or the
// provider's conventional environment variables such as GROQ_API_KEY) or
// the operator declared it in the config file (local servers such as vLLM
// or Ollama need no key). Catalog providers without credentials are listed
// but not routed to.
func buildClients(cat *catalog.Catalog, adapters *provider.Registry, cfg config.Config,
	cluster *demo.Cluster, getenv func(string) string, logger *slog.Logger) (map[string]provider.Provider, error) {
	declared := make(map[string]config.Provider, len(cfg.Providers))
	for _, p := range cfg.Providers {
		declared[p.Slug] = p
	}
	httpClient := newHTTPClient(cfg.ConnectTimeout)
	clients := make(map[string]provider.Provider)
	for _, p := range cat.Providers() {
		if !adapters.Supports(p.Protocol) {
			continue
		}
		dp, isDeclared := declared[p.Slug]
		key := dp.APIKey
		for _, env := range p.APIKeyEnv {
			if key != "" {
				break
			}
			key = getenv(env)
		}
		if p.Simulated && cluster != nil {
			key = cluster.APIKey()
		}
		if key == "" && !isDeclared && !p.Simulated {
			continue
		}
		c, err := adapters.New(clientConfig(p, dp, key, httpClient, logger))
		switch {
		case err != nil && isDeclared:
			return nil, fmt.Errorf("provider %s: %w", p.Slug, err)
		case err != nil:
			// A credential in the environment is not a promise to serve:
			// say why the provider stays unroutable, and go on.
			logger.Warn("provider has a credential but cannot be used; declare it in the config file",
				"provider", p.Slug, "error", err)
			continue
		}
		clients[p.Slug] = c
	}
	return clients, nil
}

// clientConfig is the adapter configuration of catalog provider p with
// credential key; dp is its entry in the config file, if any.
func clientConfig(p *catalog.Provider, dp config.Provider, key string, httpClient *http.Client, logger *slog.Logger) provider.Config {
	return provider.Config{
		Slug:       p.Slug,
		Name:       p.Name,
		Protocol:   p.Protocol,
		BaseURL:    p.BaseURL,
		APIKey:     provider.Secret(key),
		Headers:    dp.Headers,
		HTTPClient: httpClient,
		Logger:     logger.With("provider", p.Slug),
	}
}

// Buffer sizes of each upstream connection, held for as long as it is
// open: a stream waiting on a slow upstream keeps both. They are the
// transport's defaults. At 1 KiB each (tried to save 6 KiB per idle
// stream) a request with a 1-4 KB body left in two writes instead of one,
// and a response's headers (real providers send 1-2 KB of them) or a
// burst of stream events took several reads: a syscall or more on every
// request, to save memory only on streams that wait.
//
// plainReadBuffer is the read buffer of a plain-HTTP upstream's connection
// (package h1, which keeps no write buffer): local servers send a few
// hundred bytes of headers, a read as large as the buffer bypasses it (a
// JSON body of known length), a burst (a stream's events that came
// together) is read past it into a pooled buffer held only while the
// burst is read, and a stream waiting on a slow local model keeps 3 KiB
// less than with net/http's 4 KiB buffer. The other two are
// those of net/http's connections (HTTPS upstreams without HTTP/2, or
// through a proxy); package h2's carry many streams each.
const (
	plainReadBuffer     = 1 << 10
	upstreamReadBuffer  = 4 << 10
	upstreamWriteBuffer = 4 << 10
)

// newHTTPClient is the transport shared by every upstream: generous
// connection reuse, dial and TLS handshakes bounded by connect, and no
// overall timeout (streams are long; the router bounds the first byte and
// the gaps between chunks instead).
func newHTTPClient(connect time.Duration) *http.Client {
	dial := (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   connect,
		ExpectContinueTimeout: time.Second,
		ReadBufferSize:        upstreamReadBuffer,
		WriteBufferSize:       upstreamWriteBuffer,
	}
	// Plain-HTTP upstreams (local inference servers) go through the lean
	// HTTP/1.1 transport, HTTPS ones that speak HTTP/2 (hosted providers)
	// through the lean HTTP/2 one: no goroutines of their own per stream.
	// net/http's takes the rest (proxies, HTTPS over HTTP/1.1).
	secure := &h2.Transport{
		Fallback:         t,
		Dial:             dial,
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: connect,
		IdleTimeout:      t.IdleConnTimeout,
	}
	return &http.Client{Transport: &h1.Transport{
		Fallback:       secure,
		Dial:           dial,
		Proxy:          http.ProxyFromEnvironment,
		MaxIdlePerHost: t.MaxIdleConnsPerHost,
		IdleTimeout:    t.IdleConnTimeout,
		ReadBufferSize: plainReadBuffer,
	}}
}
