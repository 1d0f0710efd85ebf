// Package app wires Switchyard together and runs it: it opens the store,
// builds the catalog and the provider clients, starts the demo providers
// when asked, serves the API, and on shutdown stops in reverse order.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/switchyard-dev/switchyard/internal/api"
	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/demo"
	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/payments"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/anthropic"
	"github.com/switchyard-dev/switchyard/internal/provider/bedrock"
	"github.com/switchyard-dev/switchyard/internal/provider/cohere"
	"github.com/switchyard-dev/switchyard/internal/provider/gemini"
	"github.com/switchyard-dev/switchyard/internal/provider/ollama"
	"github.com/switchyard-dev/switchyard/internal/provider/openaicompat"
	"github.com/switchyard-dev/switchyard/internal/provider/vertex"
	"github.com/switchyard-dev/switchyard/internal/router"
	"github.com/switchyard-dev/switchyard/internal/secretbox"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/storeopen"
	"github.com/switchyard-dev/switchyard/internal/webui"
)

// Env is the process environment the app reads, injected for tests. Nil
// fields mean: no logging, no output, an empty environment.
type Env struct {
	Stdout io.Writer
	Logger *slog.Logger
	Getenv func(string) string
	// Ready, if set, receives the bound address once the server listens.
	Ready func(addr string)
	// DemoProfiles, if set, replaces demo.DefaultProfiles for --demo
	// (tests that need upstreams without the simulated failures).
	DemoProfiles []demo.Profile
}

// demoCredits is what the key printed by --demo holds.
const demoCredits = 10 * money.NanoPerUSD

// Run serves until ctx is cancelled, then shuts down gracefully.
func Run(ctx context.Context, cfg config.Config, env Env) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	logger := env.Logger

	st, err := storeopen.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()

	file, err := catalog.Bundled()
	if err != nil {
		return err
	}
	var cluster *demo.Cluster
	if cfg.Demo {
		profiles := env.DemoProfiles
		if profiles == nil {
			profiles = demo.DefaultProfiles()
		}
		cluster, err = demo.Start(ctx, profiles, logger.With("component", "demo"))
		if err != nil {
			return fmt.Errorf("starting demo providers: %w", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			cluster.Close(sctx)
		}()
		cluster.AddTo(file)
	}
	if err := file.Apply(overlay(cfg)); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	cat, err := catalog.New(file)
	if err != nil {
		return err
	}

	adapters, err := newAdapters()
	if err != nil {
		return err
	}
	clients, err := buildClients(cat, adapters, cfg, cluster, env.Getenv, logger)
	if err != nil {
		return err
	}
	// The catalog advertises only what each provider's adapter translates.
	for slug, c := range clients {
		switch d := c.(type) {
		case provider.ModelDescriber:
			file.RestrictParameters(slug, func(model, param string) bool { return d.ModelCapabilities(model).Supports(param) })
		case provider.Describer:
			caps := d.Capabilities()
			file.RestrictParameters(slug, func(_, param string) bool { return caps.Supports(param) })
		}
	}
	if cat, err = catalog.New(file); err != nil {
		return err
	}
	healthReg := health.NewRegistry(health.Options{
		BreakerFailures: cfg.BreakerFailures, BreakerCooldown: cfg.BreakerCooldown,
	})
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(health.Collector(healthReg), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	retries := cfg.Retries
	if retries == 0 {
		retries = -1 // the router's "none"
	}
	rt := router.New(cat, router.Options{
		Clients:           clients,
		Adapters:          adapters,
		FirstByteTimeout:  cfg.FirstByteTimeout,
		RequestTimeout:    cfg.RequestTimeout,
		StreamIdleTimeout: cfg.StreamIdleTimeout,
		Retries:           retries,
		RetryBackoff:      cfg.RetryBackoff,
		MaxRetryWait:      cfg.MaxRetryWait,
		Health:            healthReg,
		Logger:            logger.With("component", "router"),
	})
	var (
		box  *secretbox.Box
		byok api.BYOKClients
	)
	if cfg.Billing.BYOKKey != "" {
		if box, err = secretbox.Parse(cfg.Billing.BYOKKey); err != nil {
			return fmt.Errorf("billing.byok_key: %w", err)
		}
		byok = newBYOKClients(st, box, cat, adapters, cfg, logger.With("component", "byok"))
	}
	// Requests the last run of this instance left in flight (a crash)
	// are recorded as interrupted before any new one starts.
	instance := Instance(cfg.Addr)
	if err := RecoverInflight(ctx, st, instance, logger); err != nil {
		return err
	}
	memoryShort, stopGuard := startMemoryGuard(metrics, logger)
	defer stopGuard()
	srv := api.New(api.Options{
		Catalog:              cat,
		Router:               rt,
		Store:                st,
		Metrics:              metrics,
		Logger:               logger.With("component", "api"),
		MaxBodyBytes:         cfg.MaxBodyBytes,
		MaxInflightBodyBytes: cfg.MaxInflightBodyBytes,
		MemoryShort:          memoryShort,
		BodyReadTimeout:      cfg.BodyReadTimeout,
		KeepAliveInterval:    cfg.KeepAliveInterval,
		FlushInterval:        cfg.Billing.FlushInterval,
		Instance:             instance,
		RequestsPerMinute:    cfg.Billing.RequestsPerMinute,
		Payments:             paymentsOf(cfg.Billing),
		Secrets:              box,
		BYOK:                 byok,
		BYOKFeePermille:      int64(cfg.Billing.BYOKFeePermille),
		Registerer:           metrics,
		Rankings:             api.Rankings{Public: cfg.Rankings.Public, HiddenApps: cfg.Rankings.HiddenApps},
	})
	// Runs after the HTTP server has drained (defers run last in, first
	// out): every settled generation is written before the store closes.
	defer srv.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	httpSrv := &http.Server{
		Handler:           webui.Mount(srv.Handler(), webui.Options{Catalog: cat, Health: healthReg, Logger: logger.With("component", "webui")}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	addr := ln.Addr().String()
	logger.Info("switchyard listening", "addr", addr, "models", len(cat.Models()),
		"providers", len(cat.Providers()), "routable_providers", len(clients), "demo", cfg.Demo)
	if err := announce(ctx, env.Stdout, st, addr, cluster); err != nil {
		ln.Close()
		return err
	}
	if err := EnsureManagementKey(ctx, st, env.Stdout); err != nil {
		ln.Close()
		return err
	}
	if env.Ready != nil {
		env.Ready(addr)
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		httpSrv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// paymentsOf configures credit top-ups: Stripe when its secret key is
// set, none otherwise. The config is validated before.
func paymentsOf(b config.Billing) api.Payments {
	if b.Stripe.SecretKey == "" {
		return api.Payments{}
	}
	minimum, _ := money.ParseAmount(b.PlatformFeeMinimum)
	return api.Payments{
		Provider: payments.NewStripe(payments.Options{
			SecretKey: payments.Secret(b.Stripe.SecretKey), WebhookSecret: payments.Secret(b.Stripe.WebhookSecret),
			APIBase: b.Stripe.APIBase,
		}),
		FeePermille: b.PlatformFeePermille, FeeMinimum: minimum,
		SuccessURL: b.Stripe.SuccessURL, CancelURL: b.Stripe.CancelURL,
	}
}

// newAdapters registers every protocol adapter this build has.
func newAdapters() (*provider.Registry, error) {
	adapters := provider.NewRegistry()
	for protocol, f := range map[string]provider.Factory{
		catalog.ProtocolOpenAI:    openaicompat.New,
		catalog.ProtocolAzure:     openaicompat.NewAzure,
		catalog.ProtocolAnthropic: anthropic.New,
		catalog.ProtocolGemini:    gemini.New,
		catalog.ProtocolBedrock:   bedrock.New,
		catalog.ProtocolCohere:    cohere.New,
		catalog.ProtocolOllama:    ollama.New,
		catalog.ProtocolVertex:    vertex.New,
	} {
		if err := adapters.Register(protocol, f); err != nil {
			return nil, err
		}
	}
	return adapters, nil
}

// announce prints where the server is and, in demo mode, a fresh key.
func announce(ctx context.Context, w io.Writer, st store.Store, addr string, cluster *demo.Cluster) error {
	base := "http://" + addr + "/api/v1"
	fmt.Fprintf(w, "Switchyard is serving on http://%s (OpenAI-compatible base URL: %s)\n", addr, base)
	if cluster == nil {
		fmt.Fprintf(w, "Create a key with: switchyard keys create --name me --credits 10\n")
		return nil
	}
	key, _, err := CreateKey(ctx, st, KeyRequest{Name: "demo", Credits: demoCredits})
	if err != nil {
		return fmt.Errorf("creating the demo key: %w", err)
	}
	fmt.Fprintf(w, "Demo mode: simulated providers serve %v.\n", demo.ModelIDs())
	fmt.Fprintf(w, "A demo key holding $%s of credits (shown once):\n\n  %s\n\n", demoCredits, key.Reveal())
	fmt.Fprintf(w, "Try:\n  curl -N %s/chat/completions -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n"+
		"    -d '{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}'\n",
		base, key.Reveal(), demo.ModelIDs()[0])
	fmt.Fprintf(w, "More keys: switchyard keys create --name me --credits 10\n")
	return nil
}

// KeyRequest describes an API key to create.
type KeyRequest struct {
	Name string
	// AccountID adds the key to an existing account; 0 creates an account
	// named Name holding Credits.
	AccountID int64
	Credits   money.Amount
	// Management keys manage keys and presets and cannot call models.
	Management bool
}

// CreateKey creates an API key as the request says and returns its
// plaintext (shown once; only its hash is stored) and its account.
func CreateKey(ctx context.Context, st store.Store, kr KeyRequest) (apikey.Plaintext, store.Account, error) {
	key, hash, label := apikey.New()
	nk := store.NewKey{AccountID: kr.AccountID, Hash: hash, Name: kr.Name, Label: label, IsManagement: kr.Management}
	if kr.AccountID == 0 {
		acct, _, err := st.CreateAccountWithKey(ctx, kr.Name, kr.Credits, nk)
		return key, acct, err
	}
	if _, err := st.CreateKey(ctx, nk); err != nil {
		return "", store.Account{}, err
	}
	acct, err := st.Account(ctx, kr.AccountID)
	return key, acct, err
}
