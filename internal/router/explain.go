package router

// The routing decision, as a request that sends "X-Switchyard-Routing:
// explain" sees it in the response's switchyard_routing field: the
// candidates in the order they would be tried and why, the endpoints left
// out and by which constraint, and every attempt made.

// Explanation is one routing decision.
type Explanation struct {
	// Models are the requested models, fallbacks included, after
	// variants, presets and switchyard/auto were resolved.
	Models []string `json:"models"`
	// Strategy says how the order was made: "price-weighted" (the
	// default load balancing), "order", "sort:price", "sort:throughput",
	// "sort:latency", "sticky".
	Strategy   string               `json:"strategy"`
	Candidates []ExplainedCandidate `json:"candidates"`
	Excluded   []Exclusion          `json:"excluded"`
	Attempts   []ExplainedAttempt   `json:"attempts"`
}

// ExplainedCandidate is an endpoint that may be tried, in order.
type ExplainedCandidate struct {
	Model    string `json:"model"`
	Provider string `json:"provider"` // slug
	Tag      string `json:"tag"`
	// ExpectedCost is the request's estimated cost on this endpoint in
	// USD (an estimate for ordering; billing uses the real usage).
	ExpectedCost float64 `json:"expected_cost"`
	// Weight and Probability of being picked first under price-weighted
	// load balancing (1/price², normalised); 0 for the others.
	Weight      float64 `json:"weight,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	// Reasons this endpoint was moved (recent outage, breaker open,
	// below preferred_min_throughput, lacks a requested parameter, …).
	Reasons []string `json:"reasons,omitempty"`
}

// Exclusion is an endpoint left out, and the constraint that excluded it
// (the provider preference field, or "unroutable", "context_length",
// "max_tokens", "require_parameters").
type Exclusion struct {
	Model      string `json:"model"`
	Provider   string `json:"provider"`
	ExcludedBy string `json:"excluded_by"`
	Reason     string `json:"reason"`
}

// ExplainedAttempt is one try of one endpoint.
type ExplainedAttempt struct {
	Model     string `json:"model"`
	Provider  string `json:"provider"`
	Status    int    `json:"status"`
	LatencyMs int64  `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
	Probe     bool   `json:"probe,omitempty"`
}
