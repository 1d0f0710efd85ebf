//go:build unix

package h1

import "syscall"

// alive reports whether an idle connection is still open: the upstream
// has neither closed it (servers close kept-alive connections after their
// own idle timeout, uvicorn's after 5 s) nor sent anything unasked. One
// non-blocking peek, where net/http keeps a goroutine reading each idle
// connection.
func (c *conn) alive() bool {
	if c.br.Buffered() > 0 {
		return false
	}
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// Nothing to read yet: open. A byte (unasked) or none (closed):
		// not to be used.
		open = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
		return true
	})
	return err == nil && open
}
