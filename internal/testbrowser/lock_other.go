//go:build !unix

package testbrowser

// lockFile does not lock where flock is missing: test packages run in
// parallel may then install the browser twice; apt-get serialises itself.
func lockFile(string) (func(), error) { return func() {}, nil }
