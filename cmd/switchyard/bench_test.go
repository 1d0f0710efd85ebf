package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/syncbuf"
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
		{[]string{"bench", "--profile"}, "--profile and --trace need --dir"},
		{[]string{"bench", "--trace"}, "--profile and --trace need --dir"},
		{[]string{"serve", "--cpuprofile", "/nonexistent/dir/cpu.pprof"}, "--cpuprofile"},
		{[]string{"serve", "--trace", "/nonexistent/dir/gateway.trace"}, "--trace"},
		{[]string{"bench-proxy", "--target", "not a url"}, "want an http:// or https:// URL"},
		{[]string{"bench-upstream", "--addr", "256.0.0.1:1"}, "listen on 256.0.0.1:1"},
		{[]string{"bench-upstream", "--tls-addr", "127.0.0.1:0"}, "--tls-addr needs --tls-cert and --tls-key"},
		{[]string{"bench-upstream", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, "--tls-addr needs --tls-cert and --tls-key"},
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

// TestServeRecordings: serve's --cpuprofile and --trace record the process
// until it shuts down, into files the go tools read.
func TestServeRecordings(t *testing.T) {
	dir := t.TempDir()
	profile, execTrace := filepath.Join(dir, "gateway.pprof"), filepath.Join(dir, "gateway.trace")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	args := []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "x.db"), "--log-level", "warn",
		"--cpuprofile", profile, "--trace", execTrace}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, &stdout, &stderr) }()
	// Interrupted once it answers: the address is announced before the
	// start's last steps, and requests wait in the listener's queue
	// until they are done.
	addrRE := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)
	var addr string
	awaitServe(t, &stdout, &stderr, done, "address", func(out string) bool {
		if m := addrRE.FindStringSubmatch(out); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	resp, err := http.Get(addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr.String())
	}
	for path, magic := range map[string]string{profile: "\x1f\x8b", execTrace: "go 1."} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), magic) {
			t.Errorf("%s begins %q, want %q", filepath.Base(path), b[:min(len(b), 16)], magic)
		}
	}
	// The trace was stopped, not cut off: it ends with a complete batch,
	// which go tool trace needs, so it is more than its header.
	if fi, err := os.Stat(execTrace); err == nil && fi.Size() < 1024 {
		t.Errorf("trace of %d bytes", fi.Size())
	}
}
