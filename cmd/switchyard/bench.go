package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/bench"
)

// benchMain runs "switchyard bench" and the hidden helper processes it
// starts from this same binary: the fake upstream and the floor proxy.
func benchMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch args[0] {
	case bench.UpstreamCommand:
		return benchUpstream(ctx, args[1:], stderr)
	case bench.ProxyCommand:
		return benchProxy(ctx, args[1:], stderr)
	}
	return benchRun(ctx, args[1:], stdout, stderr)
}

// benchPreface heads a results file that has no generated section yet.
const benchPreface = `# Benchmarks

What Switchyard costs on the path of a request, measured by ` + "`switchyard bench`" + ` (` + "`make bench`" + `)
against a plain reverse proxy (` + "`net/http/httputil.ReverseProxy`" + `) in front of the same zero-delay
fake upstream. See ` + "`internal/bench`" + ` for the method. The section between the markers below is
rewritten by ` + "`switchyard bench --out BENCHMARKS.md`" + `; text outside them is kept.
`

func benchRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "bench [--quick] [--duration D] [--out FILE] [flags]",
		"Measures the gateway against a plain reverse proxy (the floor) and the upstream itself:\n"+
			"starts a fake upstream, the proxy and \"switchyard serve\" (billing, records and logging on) as\n"+
			"separate processes from this binary, drives each with a built-in load generator and reads\n"+
			"each process's CPU time and memory from /proc (Linux). Prints markdown tables.", stderr)
	o := bench.DefaultOptions()
	quick := fs.Bool("quick", false, "short phases (about two and a half minutes in all); coarse figures")
	duration := fs.Duration("duration", o.Duration, "length of each measurement phase")
	rounds := fs.Int("rounds", o.Rounds, "slices of each phase, run for the targets in turn (1: each target's phase whole)")
	rate := fs.Float64("rate", o.Rate, "fixed rate of the open-loop phase, requests/s")
	maxRate := fs.Float64("max-rate", o.MaxRate, "highest rate the max-RPS search tries")
	streams := fs.Int("streams", o.IdleStreams, "idle streams held open at once (0: skip)")
	scenarios := fs.String("scenarios", "", "comma-separated scenarios to run (default all): "+scenarioNames())
	out := fs.String("out", "", "also write the tables into `FILE` (e.g. BENCHMARKS.md), between its markers")
	dir := fs.String("dir", "", "keep the config, database and logs in `DIR` (default: a temporary directory, removed)")
	profile := fs.Bool("profile", false, "write the gateway's CPU profiles into the --dir directory (gateway-N.pprof, for go tool pprof)")
	execTrace := fs.Bool("trace", false, "write the gateway's execution traces into the --dir directory (gateway-N.trace, for go tool trace;\n"+
		"some MB a second under load: pick a scenario or two)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*profile || *execTrace) && *dir == "" {
		return errors.New("bench: --profile and --trace need --dir, where the profiles and traces are kept")
	}
	o.Profile, o.Trace = *profile, *execTrace
	if *quick {
		q := bench.QuickOptions()
		o.Duration, o.Warmup, o.Rounds, o.Steps = q.Duration, q.Warmup, q.Rounds, q.Steps
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "duration":
			o.Duration = *duration
		case "rounds":
			o.Rounds = *rounds
		}
	})
	o.Rate, o.MaxRate, o.IdleStreams = *rate, *maxRate, *streams
	if *scenarios != "" {
		o.Scenarios = strings.Split(*scenarios, ",")
	}
	if o.Duration <= 0 || o.Rate <= 0 || o.MaxRate < o.Rate || o.IdleStreams < 0 || o.Rounds < 1 {
		return errors.New("bench: --duration, --rate and --rounds must be positive, --max-rate at least --rate, --streams not negative")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: finding this binary: %w", err)
	}
	o.Exe, o.Log = exe, stderr
	if o.Dir = *dir; o.Dir == "" {
		if o.Dir, err = os.MkdirTemp("", "switchyard-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.Dir)
	} else if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return err
	}
	rep, err := bench.Run(ctx, o)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	rep.Markdown(stdout)
	if *out != "" {
		if err := bench.UpdateFile(*out, benchPreface, rep); err != nil {
			return fmt.Errorf("bench: writing %s: %w", *out, err)
		}
	}
	return nil
}

func scenarioNames() string {
	return strings.Join(bench.ScenarioNames(), ", ")
}

// benchUpstream serves the fake upstream until interrupted.
func benchUpstream(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet(bench.UpstreamCommand, bench.UpstreamCommand+" --addr HOST:PORT [--tls-addr HOST:PORT --tls-cert FILE --tls-key FILE]",
		"Serves the benchmark's fake OpenAI and Anthropic upstream (used by \"switchyard bench\").", stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address `HOST:PORT`")
	tlsAddr := fs.String("tls-addr", "", "also serve over TLS (HTTP/2 and HTTP/1.1) at `HOST:PORT`")
	var kp bench.KeyPair
	fs.StringVar(&kp.Cert, "tls-cert", "", "PEM `FILE` of the TLS listener's certificate")
	fs.StringVar(&kp.Key, "tls-key", "", "PEM `FILE` of the TLS certificate's key")
	chunks := fs.Int("chunks", 20, "chat chunks per stream")
	interval := fs.Duration("chunk-interval", 0, "pause between two stream events")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*tlsAddr != "") != (kp.Cert != "" && kp.Key != "") {
		return fmt.Errorf("%s: --tls-addr needs --tls-cert and --tls-key, and they need it", bench.UpstreamCommand)
	}
	h := bench.NewUpstream(bench.UpstreamOptions{Chunks: *chunks, ChunkInterval: *interval})
	if *tlsAddr == "" {
		return bench.Serve(ctx, *addr, h, nil)
	}
	// Both listeners until either fails or ctx ends.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- bench.Serve(ctx, *tlsAddr, h, &kp) }()
	go func() { errc <- bench.Serve(ctx, *addr, h, nil) }()
	err := <-errc
	cancel()
	return errors.Join(err, <-errc)
}

// benchProxy serves the floor, a plain reverse proxy, until interrupted.
func benchProxy(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet(bench.ProxyCommand, bench.ProxyCommand+" --addr HOST:PORT --target URL",
		"Serves a plain reverse proxy to --target, the benchmark's floor (used by \"switchyard bench\").", stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address `HOST:PORT`")
	target := fs.String("target", "", "upstream base `URL`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("%s: --target %q: want an http:// or https:// URL", bench.ProxyCommand, *target)
	}
	return bench.Serve(ctx, *addr, bench.NewProxy(u, log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)), nil)
}
