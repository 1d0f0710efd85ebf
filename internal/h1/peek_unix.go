//go:build unix

package h1

import "syscall"

// peek reports what waits on an idle connection, with one non-blocking
// peek where net/http keeps a goroutine reading each idle connection:
// nothing (it is open and quiet), bytes, or its end (the upstream closed
// it: servers close kept-alive connections after their own idle timeout,
// uvicorn's after 5 s).
func (c *conn) peek() pending {
	if c.br.Buffered() > 0 {
		return pendingBytes
	}
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return pendingUnknown
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return pendingEnd
	}
	p := pendingEnd
	err = rc.Read(func(fd uintptr) bool {
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
