// Package bench measures what Switchyard costs on the path of a request,
// against the physical floor: a plain byte-forwarding reverse proxy
// (net/http/httputil.ReverseProxy) in front of the same upstream.
//
// One run starts three processes from the switchyard binary itself: a
// zero-delay fake upstream speaking OpenAI's and Anthropic's protocols
// (Upstream), the floor proxy (NewProxy), and the gateway as an operator
// runs it (switchyard serve, with a generated config, a SQLite store,
// billing, generation records and logging on). Each scenario's request is
// sent to the upstream directly, through the floor and through the gateway
// by the built-in load generator: a closed loop at concurrency 1, an open
// loop at a fixed rate (latency counted from when each request was due, so
// there is no coordinated omission), and a search for the highest rate
// whose p99 stays under a bound. Processor time is read per process from
// /proc, so the gateway's CPU per request is its own. A last scenario holds
// thousands of idle streams open and divides the gateway's memory growth
// by their number.
package bench

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// The hidden commands the harness runs its helper processes with.
const (
	UpstreamCommand = "bench-upstream"
	ProxyCommand    = "bench-proxy"
)

// Options configures a run.
type Options struct {
	// Exe is the switchyard binary, run for every process.
	Exe string
	// Dir holds the generated config, the database and the logs.
	Dir string
	// Duration is the length of each measurement phase; Warmup precedes
	// each target's first phase in a scenario.
	Duration, Warmup time.Duration
	// Rounds cuts the concurrency-1 and fixed-rate phases into that many
	// slices, run for the targets in turn (direct, floor, gateway,
	// direct, ...) and added up per target: a slow spell of a shared
	// machine then falls on every target alike instead of on whichever
	// phase it met. 0 or 1 runs each target's phase whole, as a steady
	// load does, and stays the default: on the 2-core VM of BENCHMARKS.md,
	// alternating runs of one build showed no difference between the two
	// beyond the noise (json-100k's floor 10% cheaper in 5 rounds in two
	// pairs of runs, 6% dearer in a third).
	Rounds int
	// Rate is the fixed rate of the open-loop phase (requests/s), and
	// where the search for the highest rate with p99 under LatencyBound
	// starts; it doubles up to MaxRate, then bisects Steps times.
	Rate, MaxRate float64
	LatencyBound  time.Duration
	Steps         int
	// Chunks per stream (see UpstreamOptions).
	Chunks int
	// IdleStreams is how many idle streams the memory scenario holds open
	// at once (0: skip it), through the floor and the gateway, with their
	// upstream over HTTP/1.1 and again over HTTP/2.
	IdleStreams int
	// Scenarios selects scenarios by name (see ScenarioNames; IdleScenario
	// is the idle streams'); empty means all.
	Scenarios []string
	// Profile has the gateway write a CPU profile of each of its runs
	// (it is restarted before the idle streams) into Dir, as
	// gateway-1.pprof, gateway-2.pprof, ...
	Profile bool
	// Trace has the gateway write an execution trace of each of its runs
	// into Dir, as gateway-1.trace, gateway-2.trace, ...: what a request
	// in the latency's tail waited for (go tool trace). Some MB a second
	// under load: for a scenario or two at a time.
	Trace bool
	// Log receives progress lines.
	Log io.Writer
}

// IdleScenario names the idle-stream memory scenario in
// Options.Scenarios: "--scenarios idle" runs it alone.
const IdleScenario = "idle"

// ScenarioNames lists what Options.Scenarios may name, in the order the
// scenarios run.
func ScenarioNames() []string {
	names := make([]string, 0, len(Scenarios)+1)
	for _, sc := range Scenarios {
		names = append(names, sc.Name)
	}
	return append(names, IdleScenario)
}

// selects reports whether the run includes the named scenario.
func (o Options) selects(name string) bool {
	return len(o.Scenarios) == 0 || slices.Contains(o.Scenarios, name)
}

// checkScenarios refuses names that select nothing, so that a typo does
// not quietly run less than was asked.
func (o Options) checkScenarios() error {
	known := ScenarioNames()
	for _, name := range o.Scenarios {
		if !slices.Contains(known, name) {
			return fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(known, ", "))
		}
	}
	return nil
}

// DefaultOptions are the full run's.
func DefaultOptions() Options {
	return Options{Duration: 10 * time.Second, Warmup: 2 * time.Second, Rounds: 1, Rate: 1000, MaxRate: 32000,
		LatencyBound: 50 * time.Millisecond, Steps: 3, Chunks: 20, IdleStreams: 10000}
}

// QuickOptions are for a run of about two and a half minutes (2m32s on
// the 2-core VM of BENCHMARKS.md), with coarse figures.
func QuickOptions() Options {
	o := DefaultOptions()
	o.Duration, o.Warmup, o.Rounds, o.Steps = 700*time.Millisecond, 200*time.Millisecond, 1, 0
	return o
}

// Target names.
const (
	Direct  = "direct"
	Floor   = "floor"
	Gateway = "gateway"
)

// TargetResult is what one scenario measured of one target.
type TargetResult struct {
	C1   *Result // closed loop, concurrency 1
	Rate *Result // open loop at Options.Rate
	// CPU is the target process's processor time during the Rate phase
	// (the fake upstream's for Direct), C1CPU during the C1 phase.
	CPU, C1CPU CPU
	// MaxRPS is the highest rate found with p99 under the bound and no
	// errors (0: none, or not searched).
	MaxRPS float64
	// PeakRSS is the highest resident memory sampled during the scenario.
	PeakRSS int64
	// C1Overhead and RateOverhead are the gateway's own account of its
	// time per request (switchyard_overhead_seconds) over the C1 and Rate
	// phases; nil for the other targets.
	C1Overhead, RateOverhead *Histogram
	// C1Flush and RateFlush are the gateway's billing flush over the C1
	// and Rate phases, by its own account; nil for the other targets.
	C1Flush, RateFlush *Flush
}

// CPUPerRequest is CPU time per successful request of the Rate phase.
func (t *TargetResult) CPUPerRequest() time.Duration { return perRequest(t.CPU.Best(), t.Rate) }

// C1CPUPerRequest is CPU time per successful request of the C1 phase
// (which includes the process's idle wake-ups between requests).
func (t *TargetResult) C1CPUPerRequest() time.Duration { return perRequest(t.C1CPU.Best(), t.C1) }

// Row is one scenario's results.
type Row struct {
	Scenario Scenario
	Targets  map[string]*TargetResult
}

// Report is the outcome of a run.
type Report struct {
	Machine   Machine
	Options   Options
	FileLimit uint64
	Rows      []Row
	// Idle holds the idle streams' runs, one for each way of reaching the
	// upstream.
	Idle []IdleRun
	// Peak is each process's VmHWM at the end of the run.
	Peak map[string]int64
}

// harness is one run in progress.
type harness struct {
	o        Options
	upstream *process
	proxy    *process
	gateway  *process
	// gatewayRuns counts the gateway's starts, to number its profiles.
	gatewayRuns int
	key         string
	cfgPath     string
	// upstreamTLS is the upstream's TLS listener (HTTP/2); certPath its
	// certificate, which the children trust.
	upstreamTLS string
	certPath    string
	// proxyTarget is the upstream base URL of the floor and the gateway.
	proxyTarget string
	// hc is the load generator's client; it trusts the upstream's
	// certificate.
	hc *http.Client
}

// IdleRun is the idle streams held through the floor and through the
// gateway to one kind of upstream connection.
type IdleRun struct {
	// Upstream names the protocol the streams reach the upstream by.
	Upstream string
	// FilesPerStream is how many descriptors the floor and the gateway
	// hold per stream: the client's connection and, over HTTP/1.1, the
	// upstream's (HTTP/2 carries many streams on one).
	FilesPerStream int
	Floor, Gateway *IdleResult
}

// The upstream's two listeners.
const (
	upstreamHTTP1 = "HTTP/1.1"
	upstreamHTTP2 = "HTTP/2 over TLS"
)

// Run starts the processes, runs the scenarios and stops everything.
func Run(ctx context.Context, o Options) (rep *Report, err error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := o.checkScenarios(); err != nil {
		return nil, err
	}
	h := &harness{o: o}
	rep = &Report{Machine: ThisMachine(), Options: o, Peak: map[string]int64{}}
	// Children inherit the limit: the gateway holds two sockets per
	// open stream, the upstream and this process one each.
	rep.FileLimit, err = RaiseFileLimit(uint64(2*o.IdleStreams + 4096))
	if err != nil {
		h.logf("cannot raise RLIMIT_NOFILE: %v (limit %d)", err, rep.FileLimit)
	}
	defer func() {
		for _, p := range []*process{h.gateway, h.proxy, h.upstream} {
			if p == nil {
				continue
			}
			notePeak(rep.Peak, p)
			if serr := p.stop(); serr != nil && err == nil {
				err = serr
			}
		}
	}()
	if err := h.start(ctx); err != nil {
		return rep, err
	}
	for _, sc := range Scenarios {
		if !o.selects(sc.Name) {
			continue
		}
		if base := h.upstreamBase(sc); base != h.proxyTarget {
			if err := h.repoint(ctx, base, rep.Peak); err != nil {
				return rep, fmt.Errorf("scenario %s: %w", sc.Name, err)
			}
		}
		row, err := h.scenario(ctx, sc)
		if err != nil {
			return rep, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		rep.Rows = append(rep.Rows, row)
	}
	if o.IdleStreams > 0 && o.selects(IdleScenario) {
		for _, up := range []struct {
			run  IdleRun
			base string
		}{
			{IdleRun{Upstream: upstreamHTTP1, FilesPerStream: 2}, "http://" + h.upstream.addr},
			{IdleRun{Upstream: upstreamHTTP2, FilesPerStream: 1}, "https://" + h.upstreamTLS},
		} {
			run, err := h.idle(ctx, up.run, up.base, rep)
			if err != nil {
				return rep, err
			}
			rep.Idle = append(rep.Idle, run)
		}
	}
	return rep, nil
}

// idle holds o.IdleStreams idle streams open through a fresh floor and a
// fresh gateway (so that the heap left by the load scenarios does not
// absorb the streams' memory) whose upstream is at base, run.Upstream's
// listener, or as many as RLIMIT_NOFILE lets them hold.
func (h *harness) idle(ctx context.Context, run IdleRun, base string, rep *Report) (IdleRun, error) {
	if err := h.repoint(ctx, base, rep.Peak); err != nil {
		return run, err
	}
	n := h.o.IdleStreams
	if limit := int(rep.FileLimit); limit > 0 && run.FilesPerStream*n+1024 > limit {
		n = (limit - 1024) / run.FilesPerStream
		h.logf("idle streams over %s: %d, not %d: RLIMIT_NOFILE is %d", run.Upstream, n, h.o.IdleStreams, limit)
	}
	for _, t := range []struct {
		name   string
		target idleTarget
		res    **IdleResult
	}{
		{Floor, floorIdleTarget(h.proxy), &run.Floor},
		{Gateway, gatewayIdleTarget(h.gateway, h.key), &run.Gateway},
	} {
		h.logf("idle streams → %s over %s: opening %d", t.name, run.Upstream, n)
		r, err := idleStreams(ctx, t.target, n)
		if err != nil {
			return run, fmt.Errorf("idle streams → %s over %s: %w", t.name, run.Upstream, err)
		}
		r.Requested = h.o.IdleStreams
		*t.res = r
		h.logf("idle streams → %s over %s: %d open, %d stalled, %d failed, %.1f KiB each", t.name, run.Upstream,
			r.Opened, r.Stalled, r.Failed, float64(r.PerStream())/1024)
	}
	return run, nil
}

// upstreamBase is the upstream's base URL for sc: its TLS listener or its
// plain one.
func (h *harness) upstreamBase(sc Scenario) string {
	if sc.TLS {
		return "https://" + h.upstreamTLS
	}
	return "http://" + h.upstream.addr
}

// repoint starts the floor and the gateway again, at their addresses, with
// base as their upstream; peak gets the peak memory of the processes they
// replace.
func (h *harness) repoint(ctx context.Context, base string, peak map[string]int64) error {
	if err := h.writeGatewayConfig(h.gateway.addr, base); err != nil {
		return err
	}
	h.proxyTarget = base
	if err := h.restart(ctx, &h.proxy, h.startProxy, peak); err != nil {
		return err
	}
	return h.restart(ctx, &h.gateway, h.startGateway, peak)
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.o.Log, "bench: "+format+"\n", args...)
}

// start starts the upstream, the floor proxy and the gateway.
func (h *harness) start(ctx context.Context) error {
	o := h.o
	upAddr, err := freeAddr()
	if err != nil {
		return err
	}
	if h.upstreamTLS, err = freeAddr(); err != nil {
		return err
	}
	certPath, keyPath, err := writeUpstreamCert(o.Dir)
	if err != nil {
		return fmt.Errorf("the upstream's certificate: %w", err)
	}
	h.certPath = certPath
	roots, err := certPool(certPath)
	if err != nil {
		return err
	}
	h.hc = NewClient(maxInFlight, &tls.Config{RootCAs: roots})
	h.upstream, err = h.startProcess(ctx, "upstream",
		[]string{UpstreamCommand, "--addr", upAddr, "--chunks", fmt.Sprint(o.Chunks),
			"--tls-addr", h.upstreamTLS, "--tls-cert", certPath, "--tls-key", keyPath},
		upAddr, "http://"+upAddr+"/", filepath.Join(o.Dir, "upstream.log"))
	if err != nil {
		return err
	}
	h.proxyTarget = "http://" + upAddr
	proxyAddr, err := freeAddr()
	if err != nil {
		return err
	}
	if err := h.startProxy(ctx, proxyAddr); err != nil {
		return err
	}
	gwAddr, err := freeAddr()
	if err != nil {
		return err
	}
	if err := h.writeGatewayConfig(gwAddr, "http://"+upAddr); err != nil {
		return err
	}
	if h.key, err = createKey(ctx, o.Exe, h.db()); err != nil {
		return err
	}
	return h.startGateway(ctx, gwAddr)
}

func (h *harness) db() string { return filepath.Join(h.o.Dir, "bench.db") }

// writeGatewayConfig writes the gateway's configuration: to serve at
// addr, from upstreamBase.
func (h *harness) writeGatewayConfig(addr, upstreamBase string) error {
	h.cfgPath = filepath.Join(h.o.Dir, "switchyard.yaml")
	return os.WriteFile(h.cfgPath, []byte(gatewayConfig(addr, h.db(), upstreamBase)), 0o600)
}

// startProcess starts one of the servers from o.Exe, trusting the
// upstream's certificate.
func (h *harness) startProcess(ctx context.Context, name string, args []string, addr, readyURL, logPath string) (*process, error) {
	env := append(os.Environ(), certEnv+"="+h.certPath)
	return startProcess(ctx, name, h.o.Exe, args, env, addr, readyURL, logPath)
}

// startProxy starts the floor proxy at addr, to the upstream.
func (h *harness) startProxy(ctx context.Context, addr string) error {
	var err error
	h.proxy, err = h.startProcess(ctx, "floor proxy",
		[]string{ProxyCommand, "--addr", addr, "--target", h.proxyTarget},
		addr, "http://"+addr+"/", filepath.Join(h.o.Dir, "proxy.log"))
	return err
}

func (h *harness) startGateway(ctx context.Context, addr string) error {
	args := []string{"serve", "--config", h.cfgPath, "--log-level", "info"}
	h.gatewayRuns++
	if h.o.Profile {
		args = append(args, "--cpuprofile", filepath.Join(h.o.Dir, fmt.Sprintf("gateway-%d.pprof", h.gatewayRuns)))
	}
	if h.o.Trace {
		args = append(args, "--trace", filepath.Join(h.o.Dir, fmt.Sprintf("gateway-%d.trace", h.gatewayRuns)))
	}
	var err error
	h.gateway, err = h.startProcess(ctx, "gateway", args,
		addr, "http://"+addr+"/healthz", filepath.Join(h.o.Dir, "gateway.log"))
	if err != nil {
		return err
	}
	h.logf("upstream pid %d at %s, floor pid %d at %s, gateway pid %d at %s (logs in %s)",
		h.upstream.Pid(), h.upstream.addr, h.proxy.Pid(), h.proxy.addr, h.gateway.Pid(), addr, h.o.Dir)
	return nil
}

// notePeak raises peak[p.name] to p's peak resident memory so far.
func notePeak(peak map[string]int64, p *process) {
	if m, err := ReadMemory(p.Pid()); err == nil {
		peak[p.name] = max(peak[p.name], m.HWM)
	}
}

// restart notes *p's peak memory in peak (a new process starts its own),
// stops it, and starts it again at its address with start.
func (h *harness) restart(ctx context.Context, p **process, start func(context.Context, string) error, peak map[string]int64) error {
	notePeak(peak, *p)
	addr := (*p).addr
	if err := (*p).stop(); err != nil {
		return fmt.Errorf("stopping the %s: %w", (*p).name, err)
	}
	*p = nil
	return start(ctx, addr)
}

// createKey creates an account holding $1,000,000 and a key for it with
// the switchyard CLI, as an operator would, and returns the key.
func createKey(ctx context.Context, exe, db string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, "keys", "create", "--name", "bench", "--credits", "1000000", "--db", db)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("switchyard keys create: %w: %s", err, bytes.TrimSpace(errOut.Bytes()))
	}
	lines := strings.Fields(strings.TrimSpace(out.String()))
	if len(lines) == 0 {
		return "", errors.New("switchyard keys create printed no key")
	}
	return lines[len(lines)-1], nil
}

// scenario runs one scenario against each target.
func (h *harness) scenario(ctx context.Context, sc Scenario) (Row, error) {
	o := h.o
	reqs := sc.requests("http://"+h.gateway.addr, h.key)
	base := h.upstreamBase(sc)
	row := Row{Scenario: sc, Targets: map[string]*TargetResult{}}
	targets := []struct {
		name string
		rq   *Request
		proc *process // whose CPU counts
		tr   *TargetResult
	}{
		{Direct, reqs.upstream(base), h.upstream, nil},
		{Floor, reqs.upstream("http://" + h.proxy.addr), h.proxy, nil},
		{Gateway, reqs.gateway, h.gateway, nil},
	}
	for i := range targets {
		t := &targets[i]
		t.tr = &TargetResult{C1: &Result{}, Rate: &Result{}}
		row.Targets[t.name] = t.tr
		stopSampling := sampleRSS(t.proc.Pid(), &t.tr.PeakRSS)
		defer stopSampling()
		h.logf("%s → %s: warming up", sc.Name, t.name)
		if w := Closed(ctx, h.hc, t.rq, 4, o.Warmup); w.Requests == 0 {
			return row, fmt.Errorf("%s: warm-up failed: %d errors, first: %s", t.name, w.Errors, w.FirstError)
		}
	}
	rounds := max(o.Rounds, 1)
	slice := o.Duration / time.Duration(rounds)
	gatewayBase := "http://" + h.gateway.addr
	for _, phase := range []struct {
		name string
		run  func(rq *Request) *Result
		into func(tr *TargetResult) (*Result, *CPU, **Histogram, **Flush)
	}{
		{"concurrency 1", func(rq *Request) *Result { return Closed(ctx, h.hc, rq, 1, slice) },
			func(tr *TargetResult) (*Result, *CPU, **Histogram, **Flush) {
				return tr.C1, &tr.C1CPU, &tr.C1Overhead, &tr.C1Flush
			}},
		{fmt.Sprintf("%g/s", o.Rate), func(rq *Request) *Result { return Open(ctx, h.hc, rq, o.Rate, slice) },
			func(tr *TargetResult) (*Result, *CPU, **Histogram, **Flush) {
				return tr.Rate, &tr.CPU, &tr.RateOverhead, &tr.RateFlush
			}},
	} {
		// The billing records of what came before (the warm-ups, the
		// last scenario's search for its max RPS) are written first:
		// their flush would otherwise fall on every target's slices.
		// The gateway serves only in its own slices, so drain's last
		// reading of its metrics and one after the phase cover them.
		before, err := h.drain(ctx, gatewayBase, sc.Stream)
		if err != nil {
			return row, err
		}
		h.logf("%s: %s, %d rounds of %s a target", sc.Name, phase.name, rounds, slice)
		for range rounds {
			for _, t := range targets {
				if err := h.gateway.alive(); err != nil {
					return row, err
				}
				res, cpu, err := measure(t.proc, func() *Result { return phase.run(t.rq) })
				if err != nil {
					return row, err
				}
				total, totalCPU, _, _ := phase.into(t.tr)
				total.add(res)
				*totalCPU = totalCPU.Add(cpu)
			}
		}
		after, err := readGateway(ctx, h.hc, gatewayBase, sc.Stream)
		if err != nil {
			return row, err
		}
		_, _, overhead, flush := phase.into(row.Targets[Gateway])
		if *overhead, err = after.overhead.Sub(before.overhead); err != nil {
			return row, err
		}
		*flush = after.flush.Sub(before.flush)
	}
	for _, t := range targets {
		tr := t.tr
		if t.name != Direct {
			tr.MaxRPS = h.maxRPS(ctx, t.rq, tr.Rate)
		}
		h.logf("%s → %s: c1 p50 %s, %g/s p99 %s, CPU/req %s at c1, %s at %g/s (%s by ticks), max %.0f/s, errors %d",
			sc.Name, t.name, us(tr.C1.Latency.P50()), o.Rate, us(tr.Rate.Latency.P99()),
			us(perRequest(tr.C1CPU.Best(), tr.C1)), us(tr.CPUPerRequest()), o.Rate, us(perRequest(tr.CPU.Ticks, tr.Rate)),
			tr.MaxRPS, tr.C1.Errors+tr.Rate.Errors)
		if tr.C1.Errors+tr.Rate.Errors > 0 {
			h.logf("%s → %s: first error: %s", sc.Name, t.name, cmp.Or(tr.C1.FirstError, tr.Rate.FirstError))
		}
	}
	return row, nil
}

// settle is how long measure waits after a phase before it reads the
// process's CPU time: the gateway writes the records of a phase's last
// requests at its next billing flush (every 100 ms), work of that phase
// which would otherwise fall outside it.
const settle = 250 * time.Millisecond

// measure runs a phase and returns the CPU time p used meanwhile and
// while it settled.
func measure(p *process, phase func() *Result) (*Result, CPU, error) {
	before, err := ReadCPU(p.Pid())
	if err != nil {
		return nil, CPU{}, err
	}
	res := phase()
	time.Sleep(settle)
	after, err := ReadCPU(p.Pid())
	if err != nil {
		return nil, CPU{}, err
	}
	return res, after.Sub(before), nil
}

// perRequest divides cpu by the phase's successful requests.
func perRequest(cpu time.Duration, r *Result) time.Duration {
	if r == nil || r.Requests == 0 {
		return 0
	}
	return cpu / time.Duration(r.Requests)
}

// passes reports whether an open-loop phase at rate kept up: every
// request sent and answered, p99 under the bound.
func (h *harness) passes(r *Result, rate float64) bool {
	want := int(rate * h.o.Duration.Seconds())
	return r.Errors == 0 && r.Dropped == 0 && r.Requests >= want*97/100 && r.Latency.P99() < h.o.LatencyBound
}

// maxRPS searches for the highest rate that passes: from Options.Rate
// (already measured) it doubles while it passes (or halves until it does),
// then bisects.
func (h *harness) maxRPS(ctx context.Context, rq *Request, atRate *Result) float64 {
	o := h.o
	good, bad := 0.0, 0.0
	if h.passes(atRate, o.Rate) {
		good = o.Rate
		for r := 2 * o.Rate; r <= o.MaxRate && ctx.Err() == nil; r *= 2 {
			if !h.passes(Open(ctx, h.hc, rq, r, o.Duration), r) {
				bad = r
				break
			}
			good = r
		}
	} else {
		bad = o.Rate
		for r := o.Rate / 2; r >= 25 && ctx.Err() == nil; r /= 2 {
			if h.passes(Open(ctx, h.hc, rq, r, o.Duration), r) {
				good = r
				break
			}
			bad = r
		}
	}
	for range o.Steps {
		if good == 0 || bad == 0 || ctx.Err() != nil {
			break
		}
		mid := (good + bad) / 2
		if h.passes(Open(ctx, h.hc, rq, mid, o.Duration), mid) {
			good = mid
		} else {
			bad = mid
		}
	}
	return good
}

// sampleRSS samples pid's VmRSS every 50 ms into *peak until stopped.
func sampleRSS(pid int, peak *int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := ReadMemory(pid); err == nil {
				*peak = max(*peak, m.RSS)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
