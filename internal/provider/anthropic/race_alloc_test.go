//go:build race

package anthropic

// raceEnabled tells allocation pins to skip: the race detector allocates.
const raceEnabled = true
