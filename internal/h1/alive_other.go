//go:build !unix

package h1

// alive reports whether an idle connection may be used again: here, where
// it cannot be peeked at, whether nothing unasked came on it.
func (c *conn) alive() bool { return c.br.Buffered() == 0 }
