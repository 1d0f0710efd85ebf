//go:build !race

package app

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
