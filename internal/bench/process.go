package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is a server the harness started: the fake upstream, the floor
// proxy or the gateway, each its own OS process so that its CPU time is its
// own.
type process struct {
	name    string
	cmd     *exec.Cmd
	addr    string // HOST:PORT it serves on
	logPath string
	exited  chan struct{}
	waitErr error
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startProcess runs exe with args in env, its output to logPath, and
// waits until readyURL answers (any status).
func startProcess(ctx context.Context, name, exe string, args, env []string, addr, readyURL, logPath string) (*process, error) {
	// Appended to: a restarted gateway keeps its first run's log.
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child has its own descriptor
	cmd := exec.Command(exe, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, addr: addr, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(ctx, readyURL); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// Pid is the process id.
func (p *process) Pid() int { return p.cmd.Process.Pid }

func (p *process) waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	hc := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("the %s exited before it was ready (%v): %s", p.name, p.waitErr, p.logTail())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := hc.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the %s did not answer at %s within 30s: %s", p.name, url, p.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports an error if the process has exited.
func (p *process) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("the %s exited (%v): %s", p.name, p.waitErr, p.logTail())
	default:
		return nil
	}
}

// stop interrupts the process, as an operator would, and kills it if it
// has not exited within 15 seconds.
func (p *process) stop() error {
	select {
	case <-p.exited:
		return p.waitErr
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("the %s did not stop within 15s of SIGTERM; killed", p.name)
	}
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) && !ee.Exited() {
		return nil // ended by the signal itself
	}
	return p.waitErr
}

// logTail is the end of the process's output, for error messages.
func (p *process) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
