package app

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchyard-dev/switchyard/internal/memguard"
)

// startMemoryGuard watches the process's memory against the runtime's
// limit (GOMEMLIMIT, or memory_limit set by the command), when it has one,
// and exports switchyard_memory_short. short reports when inference
// requests are to be refused (nil without a limit); stop ends the watch.
func startMemoryGuard(reg prometheus.Registerer, logger *slog.Logger) (short func() bool, stop func()) {
	limit, ok := memguard.Limit()
	if !ok {
		return nil, func() {}
	}
	g := memguard.Start(limit)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "switchyard_memory_short",
		Help: "1 while the live heap and stacks are past 80% of the memory limit, until under 70%: " +
			"inference requests get 503 meanwhile.",
	}, func() float64 {
		if g.Short() {
			return 1
		}
		return 0
	}))
	logger.Info("memory limit", "bytes", limit, "refuse_from", int64(float64(limit)*memguard.High))
	return g.Short, g.Stop
}
