//go:build !race

package api

// raceEnabled tells allocation pins to skip: the race detector allocates.
const raceEnabled = false
