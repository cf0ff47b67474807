package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"navette"
)

// TestTimesInParis: every command shows a person the times in Paris, the
// platform's zone, as inbox, case and mail ls do, never in UTC; the test
// clock's 09:00 UTC in November is 10:00 in Paris.
func TestTimesInParis(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	first, second, admin1, target := e.twoAdmins()
	_, req, err := e.app.Accounts.RequestSetRole(ctx, admin1, target.ID, navette.RoleAuditor, "")
	if err != nil {
		t.Fatal(err)
	}
	sess := e.session(target)
	minute := func(at time.Time) string { return at.In(loc).Format("2006-01-02 15:04") }
	dir := t.TempDir()
	if r := runCLI(t, nil, false, "admin", "settings", "--data", dir, "--max-files", "12"); r.code != 0 {
		t.Fatalf("settings: %d %s", r.code, r.stderr)
	}
	for _, c := range []struct {
		name   string
		vars   map[string]string
		args   []string
		stdout bool
		want   *regexp.Regexp
	}{
		{"request list", e.vars(second), []string{"admin", "request", "list"}, true,
			regexp.MustCompile(`(?m)^ID +STATE +ACTION +REQUESTER +EXPIRES \(PARIS\) .*\n` + req.ID + ` .* ` + regexp.QuoteMeta(minute(req.ExpiresAt)) + ` `)},
		{"users show session", e.vars(first), []string{"admin", "users", "show", target.ID}, true,
			regexp.MustCompile(`session ` + sess.ID + ` .* created ` + regexp.QuoteMeta(minute(sess.CreatedAt)) + `, expires ` + regexp.QuoteMeta(minute(sess.ExpiresAt)) + ` \(Paris time\)\n`)},
		{"users show token", e.vars(first), []string{"admin", "users", "show", target.ID}, true,
			regexp.MustCompile(`token \S+ ".*" active, expires \d{4}-\d\d-\d\d \d\d:\d\d \(Paris time\)\n`)},
		{"users show event", e.vars(first), []string{"admin", "users", "show", admin1.ID}, true,
			regexp.MustCompile(`event \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(Paris time\) \S+`)},
		{"settings", nil, []string{"admin", "settings", "--data", dir}, true,
			regexp.MustCompile(`saved +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(Paris time\)\n`)},
		{"token create", nil, []string{"admin", "token", "create", "--data", e.dir, "--email", agent}, false,
			regexp.MustCompile(`expires: +\d{4}-\d\d-\d\d \d\d:\d\d \(Paris time\)\n`)},
	} {
		r := runCLI(t, c.vars, false, c.args...)
		out := r.stderr
		if c.stdout {
			out = r.stdout
		}
		if r.code != 0 || !c.want.MatchString(out) || strings.Contains(out, "Z ") || strings.Contains(out, "Z\n") {
			t.Errorf("%q: got %d %q (stderr %q), want %s", c.name, r.code, out, r.stderr, c.want)
		}
	}
}
