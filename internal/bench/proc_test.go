package bench

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatTicks(t *testing.T) {
	// The command name may hold spaces and parentheses.
	line := "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 8 0 100 1000 200 18446744073709551615"
	got, err := parseStatTicks([]byte(line))
	if err != nil || got != 1234+567 {
		t.Fatalf("parseStatTicks = %d, %v; want 1801", got, err)
	}
	for _, bad := range []string{"4242 no parens", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		if _, err := parseStatTicks([]byte(bad)); err == nil {
			t.Errorf("parseStatTicks(%q): no error", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	status := "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    2012 kB\nVmRSS:\t    1500 kB\nThreads:\t1\n"
	m, err := parseStatus(strings.NewReader(status))
	if err != nil || m.HWM != 2012<<10 || m.RSS != 1500<<10 {
		t.Fatalf("parseStatus = %+v, %v", m, err)
	}
	if _, err := parseStatus(strings.NewReader("Name:\tx\n")); err == nil {
		t.Error("a status without memory lines parsed")
	}
}

// TestReadSelf reads this process's figures, which must move as it works.
func TestReadSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	pid := os.Getpid()
	before, err := ReadCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the process has used 20 ms more (other tests and the
	// race detector share the processors), reading as we go.
	var d CPU
	for deadline := time.Now().Add(10 * time.Second); d.Exec < 20*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("CPU time stuck at +%+v after 10 s of spinning", d)
		}
		for spin := time.Now().Add(5 * time.Millisecond); time.Now().Before(spin); {
		}
		after, err := ReadCPU(pid)
		if err != nil {
			t.Fatal(err)
		}
		d = after.Sub(before)
	}
	// Ticks count in 10 ms steps and include exited threads.
	if d.Best() != d.Exec || d.Ticks < 0 || d.Ticks > d.Exec+time.Second {
		t.Errorf("measured %+v", d)
	}
	m, err := ReadMemory(pid)
	if err != nil || m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("ReadMemory = %+v, %v", m, err)
	}
}

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\nflags\t: fpu\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 9R14\n"
	if got := cpuModel([]byte(info)); got != "AMD EPYC 9R14" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := cpuModel([]byte("processor\t: 0\n")); got != "unknown" {
		t.Errorf("cpuModel without a model = %q", got)
	}
}
