package provider

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

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

// closeCounter counts how its stream closes it: Close, or CloseAtEnd (a
// body whose content ended, keeping its connection).
type closeCounter struct {
	io.Reader
	closes, atEnd int
}

func (c *closeCounter) Close() error      { c.closes++; return nil }
func (c *closeCounter) CloseAtEnd() error { c.atEnd++; return nil }

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
		atEnd   bool   // closed with CloseAtEnd
	}{
		{name: "terminal event ends", body: "x\nSKIP\nTWO\nEND\nafter\n", want: "x a b", atEnd: true},
		{name: "cut before terminal", body: "x\ny\n", want: "x y", wantErr: "upstream closed the stream before END"},
		{name: "lenient end", body: "x\n", lenient: true, want: "x final", atEnd: true},
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
			closes, atEnd := body.closes, body.atEnd
			if !tt.atEnd {
				closes, atEnd = atEnd, closes
			}
			if closes != 0 || atEnd != 1 {
				t.Errorf("body closed %d times, at its end %d times; want once, at its end %v", body.closes, body.atEnd, tt.atEnd)
			}
		})
	}
}

// TestStreamClosedBeforeEnd checks that a stream closed before its
// terminal event closes its body with Close: the connection is given up,
// which tells the upstream to stop generating.
func TestStreamClosedBeforeEnd(t *testing.T) {
	body := &closeCounter{Reader: strings.NewReader("x\ny\nEND\n")}
	s := NewStream(context.Background(), "T", body, NDJSONEvents(body, 64), &lineDecoder{})
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if body.closes != 1 || body.atEnd != 0 {
		t.Errorf("body closed %d times, at its end %d times; want Close once", body.closes, body.atEnd)
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

// TestEventsLargerThanTheBuffer reads NDJSON lines and AWS frames several
// times the readers' buffer, arriving a few bytes at a time: the buffer
// bounds how much one read takes, never an event.
func TestEventsLargerThanTheBuffer(t *testing.T) {
	long := strings.Repeat("0123456789", 5*streamBufferSize/10) // 5 buffers
	edge := strings.Repeat("e", streamBufferSize-1)             // the newline fills the buffer

	t.Run("ndjson", func(t *testing.T) {
		body := "a\n" + long + "\n" + edge + "\n\n" + long + "x\nb"
		want := []string{"a", long, edge, long + "x", "b"}
		for _, r := range map[string]io.Reader{
			"whole":        strings.NewReader(body),
			"7-byte reads": chunkedReader(body, 7),
			"one byte":     iotest.OneByteReader(strings.NewReader(body)),
		} {
			events := NDJSONEvents(r, 1<<20)
			var got []string
			for {
				ev, err := events.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(ev.Data))
			}
			if len(got) != len(want) {
				t.Fatalf("%d lines, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("line %d: %d bytes %.20q…, want %d bytes %.20q…", i, len(got[i]), got[i], len(want[i]), want[i])
				}
			}
		}
		// The bound on a line still holds past the buffer's size.
		events := NDJSONEvents(strings.NewReader(long+"\n"), 3*streamBufferSize)
		if _, err := events.Next(); err == nil || !strings.Contains(err.Error(), "NDJSON line over") {
			t.Errorf("a line over the maximum: %v", err)
		}
	})

	t.Run("aws", func(t *testing.T) {
		var buf bytes.Buffer
		enc := eventstream.NewEncoder()
		payloads := []string{long, "small", long + "y"}
		for _, p := range payloads {
			var m eventstream.Message
			m.Headers.Set(":message-type", eventstream.StringValue("event"))
			m.Headers.Set(":event-type", eventstream.StringValue("chunk"))
			m.Payload = []byte(p)
			if err := enc.Encode(&buf, m); err != nil {
				t.Fatal(err)
			}
		}
		events := AWSEvents(chunkedReader(buf.String(), 7))
		for i, want := range payloads {
			ev, err := events.Next()
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if ev.Type != "chunk" || string(ev.Data) != want {
				t.Errorf("frame %d: type %q, %d bytes, want %d", i, ev.Type, len(ev.Data), len(want))
			}
		}
		if _, err := events.Next(); err != io.EOF {
			t.Errorf("after the last frame: %v, want io.EOF", err)
		}
	})
}

// chunkedReader returns s in reads of at most n bytes.
func chunkedReader(s string, n int) io.Reader {
	return &pieces{s: s, n: n}
}

type pieces struct {
	s string
	n int
}

func (p *pieces) Read(b []byte) (int, error) {
	if p.s == "" {
		return 0, io.EOF
	}
	k := copy(b[:min(len(b), p.n)], p.s)
	p.s = p.s[k:]
	return k, nil
}
