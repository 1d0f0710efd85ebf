package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestBenchFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--duration", "0s"}, "--duration, --rate and --rounds must be positive"},
		{[]string{"bench", "--rounds", "0"}, "--duration, --rate and --rounds must be positive"},
		{[]string{"bench", "--rate", "2000", "--max-rate", "1000"}, "--max-rate at least --rate"},
		{[]string{"bench", "extra"}, "unexpected argument"},
		{[]string{"bench", "--profile"}, "--profile needs --dir"},
		{[]string{"serve", "--cpuprofile", "/nonexistent/dir/cpu.pprof"}, "--cpuprofile"},
		{[]string{"bench-proxy", "--target", "not a url"}, "want an http:// URL"},
		{[]string{"bench-upstream", "--addr", "256.0.0.1:1"}, "listen on 256.0.0.1:1"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), tt.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

// TestBenchHelpers: the hidden helper commands serve until interrupted.
func TestBenchHelpers(t *testing.T) {
	for _, args := range [][]string{
		{"bench-upstream", "--addr", "127.0.0.1:0"},
		{"bench-proxy", "--addr", "127.0.0.1:0", "--target", "http://127.0.0.1:1"},
	} {
		ctx, cancel := context.WithCancel(t.Context())
		cancel() // already interrupted: listen, then shut down at once
		var stdout, stderr bytes.Buffer
		if err := run(ctx, args, &stdout, &stderr); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}
