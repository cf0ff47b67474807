//go:build !race

package app_test

// raceEnabled tells that the race detector runs.
const raceEnabled = false
