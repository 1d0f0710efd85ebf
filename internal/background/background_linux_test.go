package background

import (
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// niceOf reads a thread's nice value from /proc (field 19 of its stat).
func niceOf(t *testing.T, tid int) (nice int, ok bool) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		return 0, false // the thread has ended
	}
	// The command name (field 2) may hold spaces; fields after it are
	// plain. The state, field 3, is the first of them.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	n, err := strconv.Atoi(f[19-3])
	if err != nil {
		t.Fatalf("stat of thread %d: %q: %v", tid, s, err)
	}
	return n, true
}

func threads(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var tids []int
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		tids = append(tids, tid)
	}
	return tids
}

// TestLowerOneThread checks that Lower lowers the calling goroutine's
// thread alone: threads the runtime starts while that goroutine runs (here
// to carry goroutines it starts that block in system calls) keep the
// process's priority, and the lowered thread ends with its goroutine.
func TestLowerOneThread(t *testing.T) {
	runtime.LockOSThread() // so that base is this thread's, which Lower cannot have lowered
	base := mustNice(t, syscall.Gettid())
	runtime.UnlockOSThread()
	before := make(map[int]bool)
	for _, tid := range threads(t) {
		before[tid] = true
	}
	// More goroutines blocked in system calls at once than there are
	// threads, so that the runtime must start some.
	blockers := len(before) + 4

	type result struct {
		tid int
		err error
	}
	res := make(chan result)
	release := make(chan struct{})
	go func() {
		err := lower()
		tid := syscall.Gettid()
		// Goroutines started from the lowered thread, each holding an M
		// in a blocking system call, make the runtime start threads
		// while the lowered one runs.
		var wg sync.WaitGroup
		for range blockers {
			wg.Go(func() {
				ts := syscall.NsecToTimespec(int64(200 * time.Millisecond))
				syscall.Nanosleep(&ts, nil)
			})
		}
		wg.Wait()
		res <- result{tid, err}
		<-release
	}()
	r := <-res
	if r.err != nil {
		t.Fatalf("Lower: %v", r.err)
	}

	if got, want := mustNice(t, r.tid), min(base+Nice, 19); got != want {
		t.Errorf("lowered thread: nice %d, want %d", got, want)
	}
	started := 0
	for _, tid := range threads(t) {
		if tid == r.tid || before[tid] {
			continue
		}
		started++
		if n, ok := niceOf(t, tid); ok && n != base {
			t.Errorf("thread %d, started meanwhile: nice %d, want %d like the process", tid, n, base)
		}
	}
	if started == 0 {
		t.Fatal("no thread was started while the lowered goroutine ran: the test proves nothing")
	}

	close(release)
	if r.tid == os.Getpid() {
		// The main thread cannot end: the runtime parks it for good
		// instead (and never runs another goroutine on it).
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := niceOf(t, r.tid); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lowered thread outlived its goroutine")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustNice(t *testing.T, tid int) int {
	t.Helper()
	n, ok := niceOf(t, tid)
	if !ok {
		t.Fatalf("thread %d has ended", tid)
	}
	return n
}

// TestSched: a lowered thread's account grows by the CPU it uses.
func TestSched(t *testing.T) {
	type result struct {
		before, after Sched
		ok            bool
	}
	res := make(chan result)
	go func() {
		th := Lower(slog.New(slog.NewTextHandler(os.Stderr, nil))) // nil if it failed, and logged
		before, ok := th.Sched()
		after := before
		// Spin until the account shows 5 ms more run time: a lowered
		// thread on a busy machine gets a small share of a core.
		for deadline := time.Now().Add(10 * time.Second); ok && after.Ran-before.Ran < 5*time.Millisecond && time.Now().Before(deadline); {
			for start := time.Now(); time.Since(start) < time.Millisecond; {
			}
			after, ok = th.Sched()
		}
		res <- result{before, after, ok}
	}()
	r := <-res
	if !r.ok {
		t.Fatal("no scheduling account for a lowered thread")
	}
	if ran := r.after.Ran - r.before.Ran; ran < 5*time.Millisecond {
		t.Errorf("10 s of spinning ran %v by the account", ran)
	}
	if r.after.Waited < r.before.Waited {
		t.Errorf("waiting time went back: %v → %v", r.before.Waited, r.after.Waited)
	}
	var none *Thread
	if _, ok := none.Sched(); ok {
		t.Error("a nil Thread has an account")
	}
}

func TestParseSchedstat(t *testing.T) {
	if s, ok := parseSchedstat("7377682 365656 3\n"); !ok || s.Ran != 7377682 || s.Waited != 365656 {
		t.Errorf("parseSchedstat = %+v, %v", s, ok)
	}
	for _, bad := range []string{"", "12", "x 1 1", "1 y 1"} {
		if _, ok := parseSchedstat(bad); ok {
			t.Errorf("parseSchedstat(%q) is ok", bad)
		}
	}
}
