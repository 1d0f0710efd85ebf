package provider

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// lineDecoder emits one chunk per event whose data is its content; "END"
// is the terminal event and "FAIL" an in-band error.
type lineDecoder struct{ lenient bool }

func (d *lineDecoder) Decode(ev Event, out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	switch string(ev.Data) {
	case "END":
		return out, true, nil
	case "FAIL":
		return out, false, &Error{Provider: "T", Type: "server", Message: "in-band failure"}
	case "TWO":
		return append(out, chunkOf("a"), chunkOf("b")), false, nil
	case "SKIP":
		return out, false, nil
	}
	return append(out, chunkOf(string(ev.Data))), false, nil
}

func (d *lineDecoder) End(out []*openai.Chunk) ([]*openai.Chunk, error) {
	if d.lenient {
		return append(out, chunkOf("final")), nil
	}
	return out, Truncated("T", "END")
}

func chunkOf(s string) *openai.Chunk {
	return &openai.Chunk{Choices: []openai.ChunkChoice{{Delta: openai.Delta{Content: &s}}}}
}

type closeCounter struct {
	io.Reader
	closes int
}

func (c *closeCounter) Close() error { c.closes++; return nil }

func drain(s Stream) (got []string, err error) {
	for {
		c, err := s.Next()
		if err != nil {
			return got, err
		}
		got = append(got, *c.Choices[0].Delta.Content)
	}
}

func TestStreamLoop(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		lenient bool
		want    string
		wantErr string // "" means io.EOF
	}{
		{name: "terminal event ends", body: "x\nSKIP\nTWO\nEND\nafter\n", want: "x a b"},
		{name: "cut before terminal", body: "x\ny\n", want: "x y", wantErr: "upstream closed the stream before END"},
		{name: "lenient end", body: "x\n", lenient: true, want: "x final"},
		{name: "in-band error after chunks", body: "x\nFAIL\ny\n", want: "x", wantErr: "in-band failure"},
		{name: "oversized line", body: "x\n" + strings.Repeat("z", 100) + "\n", want: "x", wantErr: "NDJSON line over 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &closeCounter{Reader: strings.NewReader(tt.body)}
			s := NewStream(context.Background(), "T", body, NDJSONEvents(body, 64), &lineDecoder{lenient: tt.lenient})
			got, err := drain(s)
			if strings.Join(got, " ") != tt.want {
				t.Errorf("chunks %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != io.EOF:
				t.Errorf("err = %v, want io.EOF", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if _, again := s.Next(); again != err {
				t.Errorf("the end is not sticky: %v then %v", err, again)
			}
			var pe *Error
			if tt.wantErr != "" && !errors.As(err, &pe) {
				t.Errorf("%T is not a *provider.Error", err)
			}
			_ = s.Close()
			_ = s.Close()
			if body.closes != 1 {
				t.Errorf("body closed %d times", body.closes)
			}
		})
	}
}

func TestStreamLoopCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	body := &closeCounter{Reader: strings.NewReader("x\ny\nEND\n")}
	s := NewStream(ctx, "T", body, NDJSONEvents(body, 64), &lineDecoder{})
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err := s.Next()
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a *provider.Error wrapping context.Canceled", err)
	}
}

func TestSSEAndAWSEventReaders(t *testing.T) {
	ev, err := SSEEvents(strings.NewReader("event: ping\ndata: {}\n\n")).Next()
	if err != nil || ev.Type != "ping" || string(ev.Data) != "{}" {
		t.Fatalf("SSE event %+v %v", ev, err)
	}
	// A corrupt AWS frame (bad prelude CRC) is a server fault, not a
	// clean end.
	frame := []byte{0, 0, 0, 16, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0}
	_, err = AWSEvents(strings.NewReader(string(frame))).Next()
	if err == nil || !errors.As(err, new(formatError)) {
		t.Fatalf("corrupt frame: %v", err)
	}
}
