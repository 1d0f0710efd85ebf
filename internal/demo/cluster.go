package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Cluster is a set of running simulated providers, one loopback HTTP server
// per profile. Its methods are safe for concurrent use.
type Cluster struct {
	apiKey string
	nodes  []*node
	logger *slog.Logger

	// cancel ends the base context of every request, for Close.
	cancel context.CancelFunc

	// mu guards closing; Adds to inflight happen under its read lock, so
	// that none can race with Close's Wait.
	mu       sync.RWMutex
	closing  bool
	inflight sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// node is one simulated provider's server.
type node struct {
	profile Profile
	baseURL string
	srv     *http.Server
	served  chan struct{} // closed when Serve has returned
}

// Start validates the profiles and starts one HTTP server per profile on
// 127.0.0.1 with a random port. ctx bounds start-up only; the servers run
// until Close. A nil logger discards logs.
func Start(ctx context.Context, profiles []Profile, logger *slog.Logger) (*Cluster, error) {
	if len(profiles) == 0 {
		return nil, errors.New("demo: no profiles")
	}
	seen := make(map[string]bool, len(profiles))
	for i := range profiles {
		if err := profiles[i].validate(); err != nil {
			return nil, err
		}
		if seen[profiles[i].Slug] {
			return nil, fmt.Errorf("demo: duplicate profile %q", profiles[i].Slug)
		}
		seen[profiles[i].Slug] = true
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	base, cancel := context.WithCancel(context.Background())
	c := &Cluster{
		apiKey: "sk-demo-" + rand.Text(),
		logger: logger,
		cancel: cancel,
	}
	var lc net.ListenConfig
	var listeners []net.Listener
	for i := range profiles {
		ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			cancel()
			return nil, fmt.Errorf("demo: listen for %q: %w", profiles[i].Slug, err)
		}
		listeners = append(listeners, ln)
	}
	for i, ln := range listeners {
		n := &node{
			profile: profiles[i],
			baseURL: "http://" + ln.Addr().String() + "/v1",
			served:  make(chan struct{}),
		}
		n.profile.Models = append([]string(nil), profiles[i].Models...)
		s := &server{profile: &n.profile, logger: logger.With("provider", n.profile.Slug)}
		n.srv = &http.Server{
			Handler:           c.track(s.routes()),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       90 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return base },
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
		}
		c.nodes = append(c.nodes, n)
		go func() {
			defer close(n.served)
			if err := n.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				logger.Error("demo: simulated provider stopped", "provider", n.profile.Slug, "err", err)
			}
		}()
		logger.Debug("demo: simulated provider listening", "provider", n.profile.Slug, "base_url", n.baseURL)
	}
	return c, nil
}

// APIKey returns the bearer token the gateway should send. The simulated
// servers accept any non-empty token; this one is random per Start.
func (c *Cluster) APIKey() string { return c.apiKey }

// BaseURL returns the base URL ("http://127.0.0.1:PORT/v1") of the provider
// with the given slug, or "" if there is none.
func (c *Cluster) BaseURL(slug string) string {
	for _, n := range c.nodes {
		if n.profile.Slug == slug {
			return n.baseURL
		}
	}
	return ""
}

// Close shuts the servers down gracefully: they stop accepting connections
// and in-flight requests may finish until ctx is done; then the remaining
// ones are cancelled. Close returns once every handler has returned. It
// returns ctx's error if the grace period ran out; later calls return the
// first call's result.
func (c *Cluster) Close(ctx context.Context) error {
	c.closeOnce.Do(func() { c.closeErr = c.shutdown(ctx) })
	return c.closeErr
}

func (c *Cluster) shutdown(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(c.nodes))
	for i, n := range c.nodes {
		wg.Go(func() {
			if err := n.srv.Shutdown(ctx); err != nil {
				errs[i] = fmt.Errorf("demo: shut down %q: %w", n.profile.Slug, err)
				n.srv.Close()
			}
		})
	}
	wg.Wait()
	// Whatever is still running lost its grace period: cancel it and wait.
	c.cancel()
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.inflight.Wait()
	for _, n := range c.nodes {
		<-n.served
	}
	return errors.Join(errs...)
}

// track counts in-flight requests so that Close can wait for them.
func (c *Cluster) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.RLock()
		if c.closing {
			c.mu.RUnlock()
			writeError(w, errShuttingDown())
			return
		}
		c.inflight.Add(1)
		c.mu.RUnlock()
		defer c.inflight.Done()
		h.ServeHTTP(w, r)
	})
}
