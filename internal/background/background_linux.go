package background

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func lower() error {
	runtime.LockOSThread()
	tid := syscall.Gettid()
	// ps and top show the main thread's priority as the process's: a few
	// tries to move off it first (the goroutine then runs on whichever
	// thread the scheduler gives it), and the main thread if that fails.
	for try := 0; tid == syscall.Getpid() && try < 10; try++ {
		runtime.UnlockOSThread()
		runtime.Gosched()
		runtime.LockOSThread()
		tid = syscall.Gettid()
	}
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

// sched reads the calling thread's schedstat: the nanoseconds it ran, the
// nanoseconds it waited on a run queue, and its time slices.
func sched() (Sched, bool) {
	b, err := os.ReadFile("/proc/thread-self/schedstat")
	if err != nil {
		return Sched{}, false
	}
	return parseSchedstat(string(b))
}

func parseSchedstat(s string) (Sched, bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return Sched{}, false
	}
	ran, err1 := strconv.ParseInt(f[0], 10, 64)
	waited, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return Sched{}, false
	}
	return Sched{Ran: time.Duration(ran), Waited: time.Duration(waited)}, true
}

// yield calls sched_yield(2), which cannot fail on Linux, as a raw system
// call: the Go runtime is not told of it, so the thread keeps its P
// through the yield, as it does when the kernel preempts it. Through
// syscall.Syscall a yield that lasts (the core went to a thread that runs
// a while) lets the runtime's monitor hand the P to another thread, and
// the yielding thread, locked to its goroutine, has to be handed one back
// after: thread wake-ups that cost the process CPU for nothing.
func yield() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
