package app

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/demo"
)

// TestDemoMode is the README's first command: serve --demo prints a key,
// and that key streams an answer from a simulated provider.
func TestDemoMode(t *testing.T) {
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(t.TempDir(), "demo.db")
	cfg.Demo = true
	var stdout syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, Env{Stdout: &stdout, Logger: slog.New(slog.DiscardHandler),
			Getenv: func(string) string { return "" }, Ready: func(a string) { addrc <- a }})
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	base := "http://" + addr + "/api/v1"
	key := regexp.MustCompile(`sk-sy-v1-[0-9a-f]{64}`).FindString(stdout.String())
	if key == "" || !strings.Contains(stdout.String(), base) {
		t.Fatalf("stdout lacks the URL or a key:\n%s", stdout.String())
	}

	// The simulated providers are labelled as such.
	resp, err := http.Get(base + "/providers")
	if err != nil {
		t.Fatal(err)
	}
	var provs struct{ Data []map[string]any }
	json.NewDecoder(resp.Body).Decode(&provs)
	resp.Body.Close()
	simulated := 0
	for _, p := range provs.Data {
		if p["simulated"] == true {
			simulated++
			if !strings.Contains(p["name"].(string), "demo") || p["routable"] != true {
				t.Errorf("simulated provider %v", p)
			}
		}
	}
	if simulated < 2 {
		t.Fatalf("%d simulated providers", simulated)
	}

	model := demo.ModelIDs()[0]
	req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions", strings.NewReader(
		`{"model":"`+model+`","stream":true,"provider":{"order":["demo-beta"]},"messages":[{"role":"user","content":"Hello!"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	var last string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		last = data
		var c struct {
			Provider string
			Choices  []struct{ Delta struct{ Content string } }
		}
		if json.Unmarshal([]byte(data), &c) == nil {
			for _, ch := range c.Choices {
				text.WriteString(ch.Delta.Content)
			}
			if c.Provider != "" && !strings.Contains(c.Provider, "(demo)") {
				t.Fatalf("provider %q is not labelled simulated", c.Provider)
			}
		}
	}
	resp.Body.Close()
	if !strings.Contains(text.String(), "Simulated") || last != "[DONE]" {
		t.Fatalf("streamed %q, last event %q", text.String(), last)
	}

	resp, err = http.Get(base + "/models?q=" + model)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"simulated_providers":["demo-`) {
		t.Fatalf("/models does not label the simulated endpoints: %.500s", body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("shutdown hangs")
	}
}
