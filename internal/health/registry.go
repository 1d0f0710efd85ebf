package health

import (
	"sync"
	"time"
)

// Defaults of Options.
const (
	defaultBreakerFailures = 3
	defaultBreakerCooldown = 30 * time.Second
)

// config is the registry's resolved Options, shared by its endpoints.
type config struct {
	clock           func() time.Time
	origin          time.Time // time 0 of the internal clock
	breakerFailures int
	breakerCooldown int64 // ns
}

// now returns the time in nanoseconds since the registry was created
// (negative if a fake clock goes back before it).
func (c *config) now() int64 { return int64(c.clock().Sub(c.origin)) }

// key identifies an endpoint.
type key struct{ provider, model string }

// impl is the registry behind the API: a concurrent map of endpoints,
// whose lookups of existing endpoints take no lock and allocate nothing.
type impl struct {
	cfg       config
	endpoints sync.Map // key → *Endpoint
}

func (r *impl) init(o Options) {
	r.cfg = config{
		clock:           o.Now,
		breakerFailures: o.BreakerFailures,
		breakerCooldown: int64(o.BreakerCooldown),
	}
	if r.cfg.clock == nil {
		r.cfg.clock = time.Now
	}
	if r.cfg.breakerFailures <= 0 {
		r.cfg.breakerFailures = defaultBreakerFailures
	}
	if r.cfg.breakerCooldown <= 0 {
		r.cfg.breakerCooldown = int64(defaultBreakerCooldown)
	}
	r.cfg.origin = r.cfg.clock()
}

func (r *impl) endpoint(provider, model string) *Endpoint {
	k := key{provider, model}
	if e, ok := r.endpoints.Load(k); ok {
		return e.(*Endpoint)
	}
	e, _ := r.endpoints.LoadOrStore(k, &Endpoint{endpointImpl{key: k, cfg: &r.cfg}})
	return e.(*Endpoint)
}

func (r *impl) each(f func(provider, model string, e *Endpoint)) {
	r.endpoints.Range(func(k, e any) bool {
		f(k.(key).provider, k.(key).model, e.(*Endpoint))
		return true
	})
}
