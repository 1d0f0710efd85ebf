package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/simulate/simulatetest"
)

// TestSimulate runs "simulate" against a fake gateway, with the key from
// SWITCHYARD_KEY: the gateway gets the requests asked for with that key,
// stdout has the report, stderr the progress.
func TestSimulate(t *testing.T) {
	const key = "sk-sy-v1-simulate-test"
	gw := simulatetest.Start(t, simulatetest.Config{Key: key, Models: []simulatetest.Model{
		{ID: "demo/model", Prompt: "0.0000001", Completion: "0.0000002", Routable: true, Simulated: true},
	}})
	t.Setenv("SWITCHYARD_KEY", key)
	t.Setenv("SWITCHYARD_URL", "http://127.0.0.1:1") // --url wins
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"simulate", "--url", gw.URL, "--requests", "30", "--rps", "2000", "--seed", "9",
		"--stream-share", "0.5", "--max-tokens", "32"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("simulate: %v\nstderr: %s", err, stderr.String())
	}
	got := gw.Requests()
	if len(got) != 30 {
		t.Fatalf("the gateway got %d requests, want 30", len(got))
	}
	for _, r := range got {
		if r.Header.Get("Authorization") != "Bearer "+key || *r.Body.MaxTokens > 32 {
			t.Fatalf("request with Authorization %q, max_tokens %d", r.Header.Get("Authorization"), *r.Body.MaxTokens)
		}
	}
	for _, want := range []string{"Sent 30 requests", "seed 9", "30 ok", "demo/model", "CodePilot"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.HasPrefix(stderr.String(), "simulate: ") || strings.Contains(stderr.String(), "\r") {
		t.Errorf("stderr, not a terminal, should have whole progress lines: %q", stderr.String())
	}
}

// TestSimulateErrors: no key, bad flags, a key out of credits.
func TestSimulateErrors(t *testing.T) {
	t.Setenv("SWITCHYARD_KEY", "")
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"simulate", "--requests", "1"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "--key") {
		t.Errorf("no key: %v", err)
	}
	if err := run(t.Context(), []string{"simulate", "--key", "k", "--rps", "0"}, &stdout, &stderr); err == nil {
		t.Error("--rps 0 accepted")
	}

	const key = "sk-sy-v1-broke"
	gw := simulatetest.Start(t, simulatetest.Config{Key: key,
		Models: []simulatetest.Model{{ID: "demo/model", Prompt: "0", Completion: "0", Routable: true}},
		Answer: func(int) simulatetest.Answer { return simulatetest.Answer{Status: 402} }})
	stdout.Reset()
	err := run(t.Context(), []string{"simulate", "--url", gw.URL, "--key", key, "--duration", "20s", "--concurrency", "1"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "out of credits") {
		t.Errorf("402: err = %v", err)
	}
	if n := len(gw.Requests()); n != 1 || !strings.Contains(stdout.String(), "402: 1") {
		t.Errorf("402: %d requests; stdout:\n%s", n, stdout.String())
	}
}
