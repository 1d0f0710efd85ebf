package gemini

import (
	"bytes"
	"io"

	"github.com/switchyard-dev/switchyard/internal/provider"
)

// sniffer passes the body through to the SSE reader and keeps the lines
// that are not SSE fields. Gemini may send an error as a bare
// {"error":{…}} line, which an SSE reader ignores (go-genai's parser
// raises it).
type sniffer struct {
	r     io.Reader
	cur   []byte // the current line's start, while undecided
	mode  int    // of the current line: undecided, skip or stray
	stray []byte // stray lines, joined by newlines, at most maxErrorBody
}

const (
	undecided = iota
	skip
	stray
)

func (s *sniffer) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.scan(p[:n])
	if err != nil {
		s.endLine()
	}
	return n, err
}

func (s *sniffer) scan(b []byte) {
	for len(b) > 0 {
		if s.mode == skip {
			i := bytes.IndexAny(b, "\r\n")
			if i < 0 {
				return
			}
			b = b[i:]
		}
		c := b[0]
		b = b[1:]
		switch {
		case c == '\r' || c == '\n':
			s.endLine()
		case s.mode == stray:
			s.add(c)
		default:
			s.cur = append(s.cur, c)
			if c == ':' || len(s.cur) > len("retry:") {
				s.decide()
			}
		}
	}
}

// decide classifies the current line by its field name.
func (s *sniffer) decide() {
	field := s.cur
	if i := bytes.IndexByte(field, ':'); i >= 0 {
		field = field[:i]
	}
	switch string(field) {
	case "", "data", "event", "id", "retry":
		s.mode = skip
	default:
		s.mode = stray
		for _, c := range s.cur {
			s.add(c)
		}
	}
	s.cur = s.cur[:0]
}

func (s *sniffer) endLine() {
	if s.mode == undecided && len(s.cur) > 0 {
		s.decide()
	}
	if s.mode == stray {
		s.add('\n')
	}
	s.mode = undecided
	s.cur = s.cur[:0]
}

func (s *sniffer) add(c byte) {
	if len(s.stray) < maxErrorBody {
		s.stray = append(s.stray, c)
	}
}

// error returns the error the stray lines hold, if they are one.
func (s *sniffer) error(name string) *provider.Error {
	body := bytes.TrimSpace(s.stray)
	if len(body) == 0 {
		return nil
	}
	if errorObject(body) == nil {
		return nil
	}
	return inBandError(name, body)
}
