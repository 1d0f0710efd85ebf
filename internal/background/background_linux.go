package background

import (
	"fmt"
	"runtime"
	"syscall"
)

func lower() error {
	runtime.LockOSThread()
	tid := syscall.Gettid()
	// With PRIO_PROCESS and a thread id, Linux's getpriority and
	// setpriority act on that one thread. getpriority(2) returns 20 - nice
	// from the raw system call, which is what the syscall package gives.
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return fmt.Errorf("background: read thread priority: %w", err)
	}
	nice := min(20-raw+Nice, 19)
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice); err != nil {
		return fmt.Errorf("background: lower thread priority to nice %d: %w", nice, err)
	}
	return nil
}
