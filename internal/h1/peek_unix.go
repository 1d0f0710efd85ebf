//go:build unix

package h1

import "syscall"

// peek reports what waits on an idle connection, with one non-blocking
// peek where net/http keeps a goroutine reading each idle connection:
// nothing (it is open and quiet), bytes, or its end (the upstream closed
// it: servers close kept-alive connections after their own idle timeout,
// uvicorn's after 5 s).
func (c *conn) peek() pending {
	if c.br.Buffered() > 0 || len(c.ahead) > 0 {
		return pendingBytes
	}
	if c.raw == nil {
		return pendingUnknown
	}
	p := pendingEnd
	err := c.raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			p = pendingNothing
		case err == nil && n > 0:
			p = pendingBytes
		}
		return true
	})
	if err != nil {
		return pendingEnd
	}
	return p
}

// readsAhead is true here: readNow reads a socket without waiting.
const readsAhead = true

// readNow reads into b what has come on the connection, without waiting
// for more: 0 when nothing has, or on an error (a deadline passed, the
// upstream closed the connection), which the next blocking read meets.
func (c *conn) readNow(b []byte) int {
	var n int
	c.raw.Read(func(fd uintptr) bool {
		n, _ = syscall.Read(int(fd), b) // -1 with EAGAIN: nothing yet
		return true
	})
	return max(n, 0)
}
