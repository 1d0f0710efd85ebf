//go:build !unix

package h1

// peek reports what waits on an idle connection: here, where the
// connection cannot be peeked at, only what its buffers hold.
func (c *conn) peek() pending {
	if c.br.Buffered() > 0 || len(c.ahead) > 0 {
		return pendingBytes
	}
	return pendingUnknown
}

// readNow reads nothing here: reads past the connection's buffer are
// unix-only.
func (c *conn) readNow([]byte) int { return 0 }
