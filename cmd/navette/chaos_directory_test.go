package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// directoryKills syncs the lawyers' directory from flows of n lawyers made
// from the sample of directory/testdata, each differing from the one before
// (lawyers added, moved to another bar, struck off), and kills the import
// ("navette directory import", while the server runs) with kill -9 at a
// random point, kills times. A reference data directory gets the same flows
// without interruption. After each kill the directory is exactly the
// reference's before or after that flow, never in between; the journal
// verifies; the import run again gives exactly the reference's after it.
func directoryKills(t *testing.T, row *chaosRow, bin string, kills, n int, rng *rand.Rand) {
	c := newChaos(t, bin, filepath.Join(t.TempDir(), "data"))
	ref := &chaos{bin: bin, data: filepath.Join(t.TempDir(), "ref")}
	if err := os.MkdirAll(ref.data, 0o700); err != nil { // directory import takes an existing one
		t.Fatal(err)
	}
	sample := lawyersSample(t)
	dir := t.TempDir()
	flow := func(v int) string {
		p := filepath.Join(dir, "flow-"+strconv.Itoa(v)+".csv")
		writeFlow(t, p, sample, n, v)
		return p
	}
	first := flow(0)
	ref.importFlow(t, first)
	c.importFlow(t, first)
	before := ref.directory(t)
	if got := c.directory(t); !slices.Equal(got, before) {
		t.Fatalf("%s: the first import gives %d lawyers, the reference %d", row.fault, len(got), len(before))
	}
	var beforeCommit, afterCommit int
	for v := 1; v <= kills; v++ {
		p := flow(v)
		took := ref.importFlow(t, p)
		after := ref.directory(t)
		delay := time.Duration(rng.Int64N(int64(took)))
		cmd := exec.Command(c.bin, "directory", "import", "--data", c.data, "--kind", "lawyers", "--force", p)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		row.tries++
		switch got := c.directory(t); {
		case slices.Equal(got, before):
			beforeCommit++
		case slices.Equal(got, after):
			afterCommit++
		default:
			row.lose(t, "try %d: the directory, half synced by the import killed after %v (%d lawyers; %d before, %d after the flow)", v, delay, len(got), len(before), len(after))
		}
		c.journalIntact(t, row)
		c.importFlow(t, p)
		if got := c.directory(t); !slices.Equal(got, after) {
			row.fail(t, "try %d: the import run again gives a directory other than an uninterrupted sync's", v)
		}
		c.leftovers(t, row)
		before = after
	}
	row.notes = append(row.notes, fmt.Sprintf("flows of %d lawyers: %d imports killed before their commit, %d after", n, beforeCommit, afterCommit))
}

// importFlow imports the lawyers' flow p, forcing revocations, and returns
// how long the command took.
func (c *chaos) importFlow(t *testing.T, p string) time.Duration {
	t.Helper()
	t0 := time.Now()
	out, err := exec.Command(c.bin, "directory", "import", "--data", c.data, "--kind", "lawyers", "--force", p).CombinedOutput()
	if err != nil {
		t.Fatalf("navette directory import %s: %v\n%s", filepath.Base(p), err, out)
	}
	return time.Since(t0)
}

// directory returns the lawyers of the data directory, one line each,
// sorted: what a sync sets of each user, without ids or times.
func (c *chaos) directory(t *testing.T) []string {
	t.Helper()
	a := c.open(t)
	defer a.Close()
	us, err := a.Meta.UsersBySource(context.Background(), "lawyers")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(us))
	for _, u := range us {
		out = append(out, strings.Join([]string{u.ExternalID, u.Email, u.Name, string(u.Role), strconv.FormatBool(u.Disabled), u.Kind, u.Org, u.DirectoryStatus, u.Lang}, "|"))
	}
	slices.Sort(out)
	return out
}

// lawyersSample reads the rows of the lawyers' flow sample.
func lawyersSample(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open("../../directory/testdata/lawyers-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("the lawyers' flow sample: %d rows, %v", len(rows), err)
	}
	return rows
}

// writeFlow writes version v of a flow of n lawyers (a twentieth more in
// odd versions) made from the sample's rows: its names and bars, an id and
// an address of each lawyer's own, some moved to another bar or struck off
// depending on v.
func writeFlow(t *testing.T, p string, sample [][]string, n, v int) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Comma = ';'
	_ = w.Write(sample[0])
	rows := sample[1:]
	count := n
	if v%2 == 1 {
		count += n / 20
	}
	for i := range count {
		s := rows[i%len(rows)]
		id := strconv.Itoa(300000 + i)
		bar, status := s[3], "actif"
		if (i*7+v)%11 == 0 {
			bar = rows[(i+v)%len(rows)][3]
		}
		if (i+v)%13 == 0 {
			status = "omis"
		}
		_ = w.Write([]string{id, s[1], s[2], bar, "avocat." + id + "@barreau.example", status, fmt.Sprintf("2026-11-%02d", 1+v%28)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
