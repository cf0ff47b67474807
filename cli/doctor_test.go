package cli

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"navette/app"
	"navette/doctor"
	"navette/internal/testsmtp"
)

// TestDoctor runs navette doctor on a data directory laid out by a first
// start: the flags and NAVETTE_* variables are read as serve reads them,
// the JSON report parses, and a failed check exits 1.
func TestDoctor(t *testing.T) {
	dir := t.TempDir()
	a, err := app.Open(app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	base := []string{"doctor", "--data", dir, "--antivirus=off", "--min-free", "0"}
	report := func(r run) doctor.Report {
		t.Helper()
		var rep doctor.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v\n%s\n%s", err, r.stdout, r.stderr)
		}
		return rep
	}
	status := func(rep doctor.Report, name string) doctor.Status {
		for _, c := range rep.Checks {
			if c.Name == name {
				return c.Status
			}
		}
		return "missing"
	}

	mail := testsmtp.Start(t, testsmtp.Options{})
	r := runCLI(t, map[string]string{"NAVETTE_SMTP": mail.URL(), "NAVETTE_PUBLIC_URL": "https://navette.example"}, false, append(base, "--json")...)
	rep := report(r)
	if r.code != 0 || rep.Failed || status(rep, "smtp") != doctor.OK || status(rep, "kek") != doctor.OK {
		t.Fatalf("exit %d, %+v; want 0, every check OK but clamd\n%s", r.code, rep.Checks, r.stderr)
	}
	if status(rep, "clamd") != doctor.Warn {
		t.Errorf("clamd %s with --antivirus=off, want WARN", status(rep, "clamd"))
	}
	if len(rep.Endpoints) != 1 || rep.Endpoints[0].Service != "smtp" {
		t.Errorf("endpoints %+v, want the SMTP server only", rep.Endpoints)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	r = runCLI(t, map[string]string{"NAVETTE_SMTP": "smtp://" + closed, "NAVETTE_PUBLIC_URL": "https://navette.example"}, false, append(base, "--json")...)
	rep = report(r)
	if r.code != 1 || !rep.Failed || status(rep, "smtp") != doctor.Fail {
		t.Errorf("SMTP server down: exit %d, smtp %s; want 1 and FAIL", r.code, status(rep, "smtp"))
	}

	keys, _ := filepath.Glob(filepath.Join(dir, "keys", "*.key"))
	if len(keys) == 0 {
		t.Fatal("no key file")
	}
	if err := os.Chmod(keys[0], 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, false, base...)
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, "chmod 600 "+keys[0]) {
		t.Errorf("key file 0644: exit %d\n%s\n%s; want 1 and a FAIL telling chmod 600", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"Where data lives:", "Servers navette connects to:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}

	r = runCLI(t, nil, false, "doctor", "--data", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "--clamd is required") {
		t.Errorf("no --clamd: exit %d, %q; want 2 as serve", r.code, r.stderr)
	}
}
