//go:build !race

package s3_test

// raceEnabled tells that the race detector runs.
const raceEnabled = false
