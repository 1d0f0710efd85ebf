package health

import "sync"

// Placeholder implementation, replaced by the real one: it records nothing
// and reports every endpoint healthy, so that dependants compile.

type impl struct {
	mu        sync.Mutex
	endpoints map[[2]string]*Endpoint
}

func newImpl(Options) impl { return impl{endpoints: map[[2]string]*Endpoint{}} }

func (r *impl) endpoint(provider, model string) *Endpoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := [2]string{provider, model}
	e := r.endpoints[k]
	if e == nil {
		e = &Endpoint{}
		r.endpoints[k] = e
	}
	return e
}

func (r *impl) each(f func(provider, model string, e *Endpoint)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, e := range r.endpoints {
		f(k[0], k[1], e)
	}
}

type endpointImpl struct{}

func (e *endpointImpl) record(Outcome)                 {}
func (e *endpointImpl) stats() Stats                   { return Stats{Breaker: BreakerClosed} }
func (e *endpointImpl) recentOutage() bool             { return false }
func (e *endpointImpl) allow() (bool, bool)            { return true, false }
func (e *endpointImpl) throughputP50() (float64, bool) { return 0, false }
func (e *endpointImpl) latencyP50() (float64, bool)    { return 0, false }
func (e *endpointImpl) throughput5m() Percentiles      { return Percentiles{} }
func (e *endpointImpl) latency5m() Percentiles         { return Percentiles{} }
