//go:build !race

package billing

// raceEnabled tells allocation pins to skip: the race detector allocates.
const raceEnabled = false
