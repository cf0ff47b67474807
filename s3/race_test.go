//go:build race

package s3_test

// raceEnabled tells that the race detector runs: sync.Pool then drops items
// at random, so allocation counts mean nothing.
const raceEnabled = true
