package clustertest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"navette/internal/testpg"
	"navette/internal/tests3"
)

// What TestMain sets up for every test of the package.
var (
	navetteBin string         // the navette binary under test, built without -race
	pg         *testpg.Server // the PostgreSQL server; each cluster has a database of its own
	s3srv      *tests3.Server // the S3 server; each cluster has a bucket of its own
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) (code int) {
	tmp, err := os.MkdirTemp("", "navette-clustertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "clustertest:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	navetteBin = filepath.Join(tmp, "navette")

	// The three take seconds each: at once.
	var wg sync.WaitGroup
	var buildErr, pgErr, s3Err error
	wg.Go(func() { buildErr = buildNavette(navetteBin) })
	wg.Go(func() { pg, pgErr = testpg.StartServer() })
	wg.Go(func() { s3srv, s3Err = tests3.Launch() })
	wg.Wait()
	defer func() {
		var errs []error
		if pg != nil {
			errs = append(errs, pg.Close())
		}
		if s3srv != nil {
			errs = append(errs, s3srv.Close())
		}
		if err := errors.Join(errs...); err != nil {
			fmt.Fprintln(os.Stderr, "clustertest:", err)
			if code == 0 {
				code = 1
			}
		}
	}()
	if err := errors.Join(buildErr, pgErr, s3Err); err != nil {
		fmt.Fprintln(os.Stderr, "clustertest:", err)
		return 1
	}
	return m.Run()
}

// buildNavette builds the navette command into bin, as an operator would
// (no race detector: the nodes are the system under test, not the test),
// its packages compiled as those of "make deb" (CGO_ENABLED=0 -trimpath),
// so that the builds of the suite share them (see TestChaos's
// buildNavette).
func buildNavette(bin string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "navette/cmd/navette")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build navette: %w\n%s", err, out)
	}
	return nil
}
