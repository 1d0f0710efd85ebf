package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat. It is
// sysconf(_SC_CLK_TCK), which reading needs cgo; it has been 100 on every
// Linux architecture Go supports since the kernel stopped exposing HZ.
const userHZ = 100

// CPU is the processor time a process has used, read two ways: Ticks is
// utime+stime from /proc/<pid>/stat (what ps and top show, in steps of
// 1/userHZ = 10 ms, and including threads that have exited); Exec sums the
// scheduler's on-CPU nanoseconds of each live thread from
// /proc/<pid>/task/*/schedstat (exact, but blind to exited threads, which
// Go rarely has). Zero when a source is unavailable.
type CPU struct {
	Ticks time.Duration
	Exec  time.Duration
}

// Sub returns c − o.
func (c CPU) Sub(o CPU) CPU { return CPU{Ticks: c.Ticks - o.Ticks, Exec: c.Exec - o.Exec} }

// Add returns c + o.
func (c CPU) Add(o CPU) CPU { return CPU{Ticks: c.Ticks + o.Ticks, Exec: c.Exec + o.Exec} }

// Best is the finer measure available: Exec, else Ticks.
func (c CPU) Best() time.Duration {
	if c.Exec > 0 {
		return c.Exec
	}
	return c.Ticks
}

// ReadCPU reads the CPU time of process pid.
func ReadCPU(pid int) (CPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}, err
	}
	ticks, err := parseStatTicks(b)
	if err != nil {
		return CPU{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	c := CPU{Ticks: time.Duration(ticks) * time.Second / userHZ}
	threads, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	for _, t := range threads {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread has just exited
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err == nil {
			c.Exec += time.Duration(ns)
		}
	}
	return c, nil
}

// parseStatTicks returns utime+stime, fields 14 and 15 of a stat line. The
// command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so fields are counted after its last ')'.
func parseStatTicks(stat []byte) (int64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat line")
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("stat line has %d fields after the name, want at least 13", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("utime %q, stime %q: not numbers", f[11], f[12])
	}
	return utime + stime, nil
}

// Memory is a process's resident memory, in bytes: RSS now and HWM, the
// peak since it started (which cannot be reset).
type Memory struct {
	RSS, HWM int64
}

// ReadMemory reads VmRSS and VmHWM from /proc/<pid>/status.
func ReadMemory(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	return parseStatus(f)
}

func parseStatus(r io.Reader) (Memory, error) {
	var m Memory
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("status %s: unexpected value %q", key, val)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("status %s: %w", key, err)
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.HWM = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if m.RSS == 0 || m.HWM == 0 {
		return m, fmt.Errorf("status has no VmRSS or VmHWM")
	}
	return m, nil
}

// Machine describes where a run happened.
type Machine struct {
	CPU       string // model name from /proc/cpuinfo
	Cores     int
	Kernel    string
	GoVersion string
	Date      time.Time
}

// ThisMachine describes this machine.
func ThisMachine() Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().UTC(),
		Kernel: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPU = cpuModel(b)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b)) + " " + runtime.GOARCH
	}
	return m
}

// cpuModel returns the first "model name" of a cpuinfo file.
func cpuModel(cpuinfo []byte) string {
	for line := range strings.Lines(string(cpuinfo)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
