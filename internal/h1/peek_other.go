//go:build !unix

package h1

// peek reports what waits on an idle connection: here, where the
// connection cannot be peeked at, only what its buffer holds.
func (c *conn) peek() pending {
	if c.br.Buffered() > 0 {
		return pendingBytes
	}
	return pendingUnknown
}
