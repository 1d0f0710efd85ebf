package bench

import (
	"os/exec"
	"syscall"
	"time"
)

// preciseSleep sleeps with the kernel's high-resolution timer: tens of
// microseconds late rather than the Go runtime's up to a millisecond. It
// blocks its OS thread; call it from a goroutine locked to one.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}

// tightenTimerSlack sets the calling thread's timer slack (50 µs by
// default) to 1 µs, so that its sleeps end on time.
func tightenTimerSlack() {
	const prSetTimerSlack = 29
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1000, 0)
}

// RaiseFileLimit raises this process's RLIMIT_NOFILE (soft and, when
// allowed, hard) to at least want and returns the soft limit now in
// force. Child processes inherit it: raised before the gateway starts,
// it covers the gateway's two sockets per open stream too.
func RaiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	next := syscall.Rlimit{Cur: want, Max: max(lim.Max, want)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next); err != nil {
		// Not allowed past the hard limit: take what there is.
		next = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err2 := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next); err2 != nil {
			return lim.Cur, err
		}
	}
	return next.Cur, nil
}

// dieWithParent makes cmd's process get SIGKILL if this one dies first,
// so that an interrupted run leaves no servers behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
