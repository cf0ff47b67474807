//go:build unix

package testtool_test

import (
	"path/filepath"
	"testing"
	"time"

	"navette/internal/testtool"
)

func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := testtool.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func())
	go func() {
		// flock locks belong to open files: a second Lock in the same
		// process waits as another process would.
		u, err := testtool.Lock(path)
		if err != nil {
			t.Error(err)
			u = func() {}
		}
		got <- u
	}()
	select {
	case <-got:
		t.Fatal("a second Lock took the lock while the first held it")
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case u := <-got:
		u()
	case <-time.After(10 * time.Second):
		t.Fatal("the second Lock did not take the lock once released")
	}
}
