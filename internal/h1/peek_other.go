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

// readsAhead is false here: reads past the connection's buffer are
// unix-only, and readAhead takes no pooled buffer for a read that cannot
// be made.
const readsAhead = false

// readNow reads nothing here (readsAhead).
func (c *conn) readNow([]byte) int { return 0 }
