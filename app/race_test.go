//go:build race

package app_test

// raceEnabled tells that the race detector runs: a request's work then
// takes several times longer.
const raceEnabled = true
