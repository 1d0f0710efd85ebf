package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	sim "github.com/switchyard-dev/switchyard/internal/simulate"
)

// defaultURL is where "serve" listens by default.
const defaultURL = "http://127.0.0.1:8080"

func simulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("simulate", "simulate --key KEY [--url URL] [--duration D | --requests N] [flags]",
		"Sends realistic synthetic traffic to a running gateway, as a dozen apps would (some private),\n"+
			"with prompts of every task category, so that rankings and charts fill up. Run it against\n"+
			"\"switchyard serve --demo\" with the demo key it prints. It shows progress on stderr and\n"+
			"prints a report when done; a key out of credits (402) stops it.", stderr)
	url := fs.String("url", "", "the gateway's `URL` (default "+defaultURL+", env SWITCHYARD_URL)")
	key := fs.String("key", "", "the API `key` to send requests with (env SWITCHYARD_KEY; required)")
	duration := fs.Duration("duration", time.Minute, "how long requests keep arriving (0: until interrupted)")
	requests := fs.Int("requests", 0, "stop after `N` requests (0: when --duration ends)")
	concurrency := fs.Int("concurrency", sim.DefaultConcurrency, "at most `N` requests in flight")
	rps := fs.Float64("rps", sim.DefaultRPS, "mean `rate` of requests per second, bursts included")
	apps := fs.Int("apps", sim.DefaultApps, "the number of synthetic apps")
	streamShare := fs.Float64("stream-share", 0.5, "the `fraction` of requests that stream, 0 to 1")
	maxTokens := fs.Int("max-tokens", sim.DefaultMaxTokens, "the largest max_tokens a request asks for (each asks for 16 to `N`)")
	seed := fs.Int64("seed", 0, "seed the run's choices with `N` (0: random; the report prints it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := sim.Options{
		BaseURL:  cmp.Or(*url, os.Getenv("SWITCHYARD_URL"), defaultURL),
		APIKey:   cmp.Or(*key, os.Getenv("SWITCHYARD_KEY")),
		Duration: *duration, Requests: *requests, Concurrency: *concurrency, RPS: *rps, Apps: *apps,
		StreamShare: *streamShare, MaxTokens: *maxTokens, Seed: *seed,
		Progress: stderr,
	}
	switch {
	case opts.APIKey == "":
		return errors.New("simulate: --key (or SWITCHYARD_KEY) is required: use the demo key \"serve --demo\" prints, or one from \"keys create\"")
	case *concurrency < 1 || *rps <= 0 || *apps < 1 || *maxTokens < 1:
		return errors.New("simulate: --concurrency, --rps, --apps and --max-tokens must be positive")
	case *duration < 0 || *requests < 0:
		return errors.New("simulate: --duration and --requests must not be negative")
	}
	rep, err := sim.Run(ctx, opts)
	if rep.BaseURL != "" { // the run started
		if ferr := rep.Format(stdout); ferr != nil {
			return ferr
		}
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		fmt.Fprintln(stderr, "simulate: interrupted")
		return nil // stopping with Ctrl-C is a normal end
	}
	return err
}
