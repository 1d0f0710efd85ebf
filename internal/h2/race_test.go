//go:build race

package h2

// raceEnabled reports whether the race detector is on.
const raceEnabled = true
