//go:build !race

package openai

// raceEnabled tells allocation pins to skip: the race detector allocates.
const raceEnabled = false
