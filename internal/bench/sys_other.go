//go:build !linux

package bench

import (
	"errors"
	"os/exec"
	"time"
)

func preciseSleep(d time.Duration) { time.Sleep(d) }

func tightenTimerSlack() {}

// RaiseFileLimit is only implemented on Linux, where the harness runs.
func RaiseFileLimit(want uint64) (uint64, error) {
	return 0, errors.New("raising RLIMIT_NOFILE is implemented on Linux only")
}

func dieWithParent(*exec.Cmd) {}
