//go:build !race

package seal

// raceEnabled tells that the race detector runs.
const raceEnabled = false
