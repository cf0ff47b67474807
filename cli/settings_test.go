package cli

import (
	"strings"
	"testing"
)

// TestAdminSettings: the command shows the settings, changes only the ones
// given, puts one back to the configuration with 0, and refuses a bad value
// with one line and no change.
func TestAdminSettings(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, nil, false, "admin", "settings", "--data", dir)
	if r.code != 0 || strings.Count(r.stdout, "(configuration)") != 4 {
		t.Fatalf("show on a new platform: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, false, "admin", "settings", "--data", dir, "--max-file-size", "5368709120", "--max-retention", "25")
	if r.code != 0 || !strings.Contains(r.stdout, "max-file-size   5368709120") || !strings.Contains(r.stdout, "max-retention   25") || !strings.Contains(r.stdout, "saved") {
		t.Fatalf("set: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, false, "admin", "settings", "--data", dir, "--max-retention", "0", "--max-files", "12")
	if r.code != 0 || !strings.Contains(r.stdout, "max-file-size   5368709120") || !strings.Contains(r.stdout, "max-retention   (configuration)") || !strings.Contains(r.stdout, "max-files       12") {
		t.Fatalf("change two: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, false, "admin", "settings", "--data", dir, "--max-retention", "31")
	if r.code == 0 || !strings.Contains(r.stderr, "between 1 and 30 days") {
		t.Fatalf("a retention ceiling past the arrêté's 30 days: %d %q", r.code, r.stderr)
	}
	r = runCLI(t, nil, false, "admin", "settings", "--data", dir, "--max-files", "100000")
	if r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "between 1 and 1000") {
		t.Fatalf("bad value: %d %q", r.code, r.stderr)
	}
	r = runCLI(t, nil, false, "admin", "settings", "--data", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "max-files       12") {
		t.Fatalf("after the refusal: %d %q", r.code, r.stdout)
	}
}
