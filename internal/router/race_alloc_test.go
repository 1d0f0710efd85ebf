//go:build race

package router

// raceEnabled tells allocation pins to skip: the race detector allocates.
const raceEnabled = true
