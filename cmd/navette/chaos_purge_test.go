package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
)

// halt stops the server with kill -9 and waits for it to exit.
func (c *chaos) halt(t *testing.T) {
	t.Helper()
	if err := c.srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.srv.wait(t)
}

// start serves again, once halted, and waits for its first sweep to end.
func (c *chaos) start(t *testing.T) {
	t.Helper()
	c.srv = startServer(t, c.bin, c.data, c.args...)
	c.swept(t)
}

// swept waits for the running server's first sweep (the one it makes on
// start) to end.
func (c *chaos) swept(t *testing.T) {
	t.Helper()
	if !waitFor(2*time.Minute, func() bool { return c.srv.sweeps.Load() > 0 }) {
		t.Fatalf("no sweep ended within 2 min of the start:\n%s", c.srv.tail())
	}
}

// open opens the platform of the data directory in this process, also
// while the server runs, as the admin commands do.
func (c *chaos) open(t *testing.T) *app.App {
	t.Helper()
	cfg := app.Config{DataDir: c.data}
	if i := slices.Index(c.args, "--db"); i >= 0 {
		cfg.DB = c.args[i+1]
	}
	a, err := app.Open(cfg)
	if err != nil {
		t.Fatalf("opening %s: %v", c.data, err)
	}
	return a
}

// leftovers looks, once the server has swept after a restart, for files
// under the data directory that nothing will ever remove: a temporary or
// partial file, an unfinished blob no upload in progress owns, a finished
// blob whose file record is gone or purged. Each is counted as lost.
func (c *chaos) leftovers(t *testing.T, row *chaosRow) {
	t.Helper()
	a := c.open(t)
	defer a.Close()
	ctx := context.Background()
	blobs := filepath.Join(c.data, "blobs")
	var temps []string
	err := filepath.WalkDir(c.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(c.data, p)
		name := d.Name()
		lower := strings.ToLower(name)
		switch dir := filepath.Dir(p); {
		case dir == filepath.Join(blobs, "uploads"):
			f, err := a.Meta.File(ctx, name)
			switch {
			case navette.IsCode(err, navette.ENOTFOUND):
				row.lose(t, "room: %s, an unfinished blob without a file record", rel)
			case err != nil:
				t.Fatal(err)
			case f.State != navette.FileUploading:
				row.lose(t, "room: %s, an unfinished blob of a file %s", rel, f.State)
			}
		case filepath.Dir(dir) == filepath.Join(blobs, "blobs"):
			f, err := a.Meta.File(ctx, name)
			switch {
			case navette.IsCode(err, navette.ENOTFOUND):
				row.lose(t, "room: %s, a blob without a file record", rel)
			case err != nil:
				t.Fatal(err)
			case f.BlobDeleted || f.State == navette.FilePurged:
				row.lose(t, "room: %s, the blob of a file %s, left after the sweep", rel, f.State)
			}
		case strings.HasPrefix(name, ".") || strings.HasSuffix(lower, ".tmp") || strings.HasSuffix(lower, ".part") ||
			strings.HasSuffix(lower, ".partial") || strings.HasSuffix(lower, "~") ||
			(strings.HasPrefix(lower, "tmp") || strings.HasPrefix(lower, "temp")) && !navette.ValidID(strings.SplitN(name, ".", 2)[0]):
			temps = append(temps, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(temps) == 0 {
		return
	}
	// A temporary file lives while the server writes it (a notice going
	// to the mail outbox): one still there 3 s later is left over. The
	// wait ends as soon as all are gone.
	left := func() []string {
		var left []string
		for _, p := range temps {
			if _, err := os.Stat(p); err == nil {
				left = append(left, p)
			}
		}
		return left
	}
	pollFor(3*time.Second, func() bool { return len(left()) == 0 })
	for _, p := range left() {
		rel, _ := filepath.Rel(c.data, p)
		row.lose(t, "room: %s, a temporary file", rel)
	}
}

// purgeKills fills a platform with deposits past their expiry, then kills
// the server with kill -9 at random points of the sweep that purges them
// (kills in all), restarting it each time, until every one is purged. After
// each kill, with the server down: every deposit is whole (key, file records
// and blobs, and admin scrub verifies each blob) or purged (key destroyed,
// files shredded; a blob left is one the next sweep deletes, never one
// recorded as deleted); every blob has its file record; the journal
// verifies. After each restart's sweep no blob of a purged deposit and no
// temporary file is left.
//
// The binary has no clock to move: the deposits' expiry is moved back in
// the database instead, with the store's own UpdateDeposit, while the server
// is down.
func purgeKills(t *testing.T, row *chaosRow, bin string, kills, batch int, rng *rand.Rand) {
	c := newChaos(t, bin, filepath.Join(t.TempDir(), "data"))
	a := c.open(t)
	defer a.Close()
	ctx := context.Background()
	const size = 64 << 10
	midway := 0
	for round := 0; row.tries < kills; round++ {
		sc := c.client(t, c.sender)
		var ids []string
		for i := range batch {
			d, err := sc.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: fmt.Sprintf("RG 26/14 purge %d-%d", round, i)})
			if err != nil {
				t.Fatal(err)
			}
			src := io.NewSectionReader(readerAt{newStream(uint64(5000 + round*batch + i))}, 0, size)
			if _, err := sc.Upload(ctx, d.ID, "purge.bin", src, size, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := sc.Submit(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ID)
		}
		c.halt(t)
		past := time.Now().Add(-time.Minute)
		for _, id := range ids {
			if err := a.Meta.UpdateDeposit(ctx, id, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
				d.ExpiresAt = past
				return nil, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		// Each deposit is two steps of the sweep: its purge, then the
		// deletion of its blob.
		for cut := 0; row.tries < kills && cut < 4; cut++ {
			done := purgeProgress(t, a, ids)
			if done == 2*len(ids) {
				break
			}
			at := done + 1 + rng.IntN(2*len(ids)-done)
			c.srv = startServer(t, c.bin, c.data, c.args...)
			if !pollFor(2*time.Minute, func() bool { return purgeProgress(t, a, ids) >= at || c.srv.sweeps.Load() > 0 }) {
				t.Fatalf("%s: the sweep did not get to step %d of %d", row.fault, at, 2*len(ids))
			}
			c.halt(t)
			row.tries++
			if n := purgeProgress(t, a, ids); n > done && n < 2*len(ids) {
				midway++
			}
			c.purgeState(t, a, row, ids, row.tries)
			c.journalIntact(t, row)
		}
		c.start(t)
		if n := purgeProgress(t, a, ids); n != 2*len(ids) {
			row.lose(t, "round %d: %d of the %d steps of the purge once the sweep ended", round, n, 2*len(ids))
		}
		c.leftovers(t, row)
	}
	c.journalIntact(t, row)
	row.notes = append(row.notes, fmt.Sprintf("%d of %d kills fell in the middle of a sweep's purges and blob deletions (batches of %d expired deposits)", midway, row.tries, batch))
}

// pollFor polls cond without pause for at most d.
func pollFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); {
		if cond() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return cond()
}

// purgeProgress counts the deposits of ids purged and the blobs of their
// files deleted.
func purgeProgress(t *testing.T, a *app.App, ids []string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		d, err := a.Meta.Deposit(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !d.PurgedAt.IsZero() {
			n++
		}
		files, err := a.Meta.Files(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 1 && files[0].BlobDeleted {
			n++
		}
	}
	return n
}

// purgeState checks, with the server down, that each deposit of ids is
// whole or purged, never half, and that no blob is left without its file
// record.
func (c *chaos) purgeState(t *testing.T, a *app.App, row *chaosRow, ids []string, try int) {
	t.Helper()
	ctx := context.Background()
	whole := 0
	for _, id := range ids {
		d, err := a.Meta.Deposit(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		files, err := a.Meta.Files(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 {
			row.lose(t, "try %d: deposit %s has %d file records, not 1", try, id, len(files))
			continue
		}
		f := files[0]
		_, statErr := os.Stat(filepath.Join(c.data, "blobs", "blobs", f.ID[:2], f.ID))
		if d.PurgedAt.IsZero() {
			whole++
			if d.Key.IsZero() || d.Reference == nil || f.Key.IsZero() || f.Name == nil || f.State != navette.FileAvailable || f.BlobDeleted || statErr != nil {
				row.lose(t, "try %d: deposit %s half purged (key %v, file %s, blob deleted %v, blob %v)", try, id, !d.Key.IsZero(), f.State, f.BlobDeleted, statErr)
			}
			continue
		}
		if !d.Key.IsZero() || d.Reference != nil || !f.Key.IsZero() || f.Name != nil || f.State != navette.FilePurged {
			row.lose(t, "try %d: deposit %s purged but not shredded (key %v, file %s)", try, id, !d.Key.IsZero(), f.State)
		}
		if f.BlobDeleted && statErr == nil {
			row.lose(t, "try %d: the blob of deposit %s, recorded as deleted", try, id)
		}
	}
	blobs := filepath.Join(c.data, "blobs", "blobs")
	err := filepath.WalkDir(blobs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if _, err := a.Meta.File(ctx, d.Name()); navette.IsCode(err, navette.ENOTFOUND) {
			row.lose(t, "try %d: blob %s has no file record", try, d.Name())
		} else if err != nil {
			t.Fatal(err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if whole == 0 {
		return
	}
	// The whole deposits' blobs are verified against their digests.
	out, err := exec.Command(c.bin, "admin", "scrub", "--data", c.data, "--rate", "0").CombinedOutput()
	if err != nil {
		row.lose(t, "try %d: admin scrub with %d whole deposits: %v\n%s", try, whole, err, out)
	}
}
