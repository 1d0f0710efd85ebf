//go:build race

package sse_test

// raceEnabled tells allocation pins to skip: the race detector allocates.
const raceEnabled = true
