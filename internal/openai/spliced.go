package openai

import (
	"bytes"
	"io"
	"net"
	"slices"
	"unsafe"
)

// SpliceMin is the length from which SpliceMessagesJSON refers to a
// client's content literal instead of copying it.
const SpliceMin = 8 << 10

// Spliced is JSON text in pieces, in order: what an encoder wrote, and
// long content literals of a client's request, referred to where the
// decoder found them. An upstream request repeats a 100 KB prompt as the
// client wrote it; splicing it in saves allocating, clearing and copying
// it once more. The pieces are never written through.
type Spliced [][]byte

// Len is the length of the text.
func (s Spliced) Len() int {
	n := 0
	for _, p := range s {
		n += len(p)
	}
	return n
}

// Reader returns a new reader of the text from its start. Text in one
// piece (any prompt shorter than SpliceMin) gets a *bytes.Reader:
// net/http knows it to be in memory and sends it in one write with the
// request's headers, where for another reader it flushes the headers
// first, in a write and a packet of their own. Text in pieces gets an
// io.ReadCloser with a Buffers method, which internal/h1 writes with the
// request's head in one writev.
func (s Spliced) Reader() io.Reader {
	if len(s) == 1 {
		return bytes.NewReader(s[0])
	}
	return &splicedReader{left: net.Buffers(slices.Clone(s)), pieces: s}
}

// splicedReader reads Spliced text in pieces.
type splicedReader struct {
	left   net.Buffers // what is left to read
	pieces [][]byte    // the whole text
}

func (r *splicedReader) Read(p []byte) (int, error) { return r.left.Read(p) }

// WriteTo writes what is left to w, in one writev when w is a network
// connection.
func (r *splicedReader) WriteTo(w io.Writer) (int64, error) { return r.left.WriteTo(w) }

// Buffers returns the text's pieces, for a writer that sends them as they
// are (writev); the caller must not modify them, nor read r as well.
func (r *splicedReader) Buffers() [][]byte { return r.pieces }

func (r *splicedReader) Close() error { return nil }

// Bytes returns the text in one slice: the only piece as it is, or a
// copy of them all.
func (s Spliced) Bytes() []byte {
	if len(s) == 1 {
		return s[0]
	}
	out := make([]byte, 0, s.Len())
	for _, p := range s {
		out = append(out, p...)
	}
	return out
}

// SpliceMessagesJSON is AppendMessagesJSON for spliced text: dst is the
// piece being written, to follow those of s. A message's content literal
// of SpliceMin bytes or more, which AppendMessagesJSON would copy, is
// added to s as a piece of its own after what dst holds so far. It returns
// the piece being written after the messages, which the caller adds to s
// when done.
func SpliceMessagesJSON(s *Spliced, dst []byte, msgs []Message) ([]byte, error) {
	return appendMessages(dst, msgs, s)
}

// splice ends the piece dst, adds it and raw to s, and returns the empty
// piece that follows, in what is left of dst's array.
func (s *Spliced) splice(dst []byte, raw string) []byte {
	s.Splice(dst[:len(dst):len(dst)], raw)
	return dst[len(dst):]
}

// Splice adds piece to s and, after it, raw: a literal of a decoded
// request (Content.RawJSON), referred to where the decoder found it, not
// copied.
func (s *Spliced) Splice(piece []byte, raw string) {
	*s = append(*s, piece, unsafe.Slice(unsafe.StringData(raw), len(raw)))
}
