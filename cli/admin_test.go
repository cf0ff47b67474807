package cli

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAdminCommands runs the admin commands that manage people, courts,
// service mailboxes and tokens one after the other on one platform, and
// their usage errors: each answers what it did, or one line and code 2.
func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		code int
		out  string // in standard output if code is 0, else in standard error
	}{
		{[]string{"court", "add", "--code", "TJ-AMIENS", "--name", "Tribunal judiciaire d'Amiens"}, 0, "created court TJ-AMIENS"},
		{[]string{"user", "add", "--email", "greffe@justice.example", "--name", "Greffe", "--role", "agent", "--court", "TJ-AMIENS"}, 0, "created agent greffe@justice.example"},
		{[]string{"user", "add", "--email", "x@justice.example", "--name", "X", "--role", "agent", "--court", "TJ-NOWHERE"}, 1, "no court has the code TJ-NOWHERE"},
		{[]string{"user", "add", "--email", "x@justice.example"}, 2, "--email, --name and --role are required"},
		{[]string{"service", "add", "--court", "TJ-AMIENS", "--name", "Greffe correctionnel", "--email", "greffe.correctionnel@justice.example"}, 0, "created service Greffe correctionnel <greffe.correctionnel@justice.example>"},
		{[]string{"member", "add", "--service", "greffe.correctionnel@justice.example", "--email", "greffe@justice.example"}, 0, "member add: greffe@justice.example in greffe.correctionnel@justice.example"},
		{[]string{"member", "remove", "--service", "greffe.correctionnel@justice.example", "--email", "greffe@justice.example"}, 0, "member remove: greffe@justice.example in greffe.correctionnel@justice.example"},
		{[]string{"user", "role", "--email", "greffe@justice.example", "--role", "court_admin"}, 0, "role greffe@justice.example: court_admin, active"},
		{[]string{"user", "revoke", "--email", "greffe@justice.example"}, 0, "revoke greffe@justice.example: court_admin, revoked"},
		{[]string{"user", "restore", "--email", "greffe@justice.example"}, 0, "restore greffe@justice.example: court_admin, active"},
		{[]string{"user", "revoke", "--email", "greffe@justice.example", "--role", "agent"}, 2, "unknown flag --role"},
		{[]string{"user", "role", "--email", "greffe@justice.example"}, 2, "--email and --role are required"},
		{[]string{"user", "restore"}, 2, "--email is required"},
		{[]string{"user", "reset-totp", "--email", "nobody@justice.example"}, 1, "no user has the e-mail nobody@justice.example"},
		{[]string{"token", "create", "--email", "greffe@justice.example", "--ttl", "-1h"}, 2, "--ttl must not be negative"},
		{[]string{"token", "create", "--email", "greffe@justice.example", "--ttl", "24h"}, 0, "nvt_"},
		{[]string{"token", "create"}, 2, "--email is required"},
		{[]string{"token", "revoke"}, 2, "one token id is required"},
		{[]string{"backup"}, 2, "--data and --out are required"},
		{[]string{"restore"}, 2, "--data and --from are required"},
		{[]string{"key", "export"}, 2, "--data and --out are required"},
		{[]string{"scrub", "--rate", "-1"}, 2, "--rate must not be negative"},
		{[]string{"settings", "--max-files", "5", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"key", "activate"}, 2, "one key id is required"},
		{[]string{"mail", "replay"}, 2, "one notice ID is required"},
		{[]string{"mail", "dead", "--limit", "0"}, 2, "--limit must be positive"},
		{[]string{"evidence"}, 2, "give one deposit id"},
		{[]string{"user", "rename"}, 2, `unknown admin command "user rename"`},
	} {
		r := runCLI(t, nil, false, append(append([]string{"admin"}, tt.args...), "--data", dir)...)
		got := r.stdout
		if tt.code != 0 {
			got = r.stderr
		}
		if r.code != tt.code || !strings.Contains(got, tt.out) {
			t.Errorf("admin %s = %d, %q %q; want %d, %q", strings.Join(tt.args, " "), r.code, r.stdout, r.stderr, tt.code, tt.out)
		}
	}
}

// TestCommandGroupsTellWhatIsWrong: admin, directory, mail and case, called
// without a command or with one they do not have, say so on their first
// line (never an empty message) with exit status 2; asked for help (as
// "navette help" tells), they print their usage and exit 0.
func TestCommandGroupsTellWhatIsWrong(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		code  int
		first string
	}{
		{[]string{"admin"}, 2, "navette admin: expected a command"},
		{[]string{"admin", "bogus"}, 2, `navette admin: unknown admin command "bogus"`},
		{[]string{"admin", "user"}, 2, `navette admin: unknown admin command "user"`},
		{[]string{"admin", "help"}, 0, "navette admin user add --data DIR"},
		{[]string{"admin", "--help"}, 0, "navette admin user add --data DIR"},
		{[]string{"directory"}, 2, "navette directory: expected a command"},
		{[]string{"directory", "bogus"}, 2, `navette directory: unknown directory command "bogus"`},
		{[]string{"directory", "help"}, 0, "navette directory import --data DIR"},
		{[]string{"mail"}, 2, "navette mail: expected a command"},
		{[]string{"mail", "help"}, 0, "navette mail ls --data DIR"},
		{[]string{"mail", "-h"}, 0, "navette mail ls --data DIR"},
		{[]string{"case"}, 2, "navette case: expected ls, show, get or evidence"},
		{[]string{"case", "bogus"}, 2, `navette case: unknown case command "bogus"`},
		{[]string{"case", "-h"}, 0, "Usage: navette case ls [--q TEXT]"},
		{[]string{"case", "help"}, 0, "Usage: navette case ls [--q TEXT]"},
		{[]string{"case", "ls", "-h"}, 0, "Usage: navette case ls [--q TEXT]"},
		{[]string{"case", "get", "--help"}, 0, "Usage: navette case ls [--q TEXT]"},
	} {
		r := runCLI(t, nil, false, tt.args...)
		first, _, _ := strings.Cut(r.stderr, "\n")
		if r.code != tt.code || !strings.HasPrefix(first, tt.first) {
			t.Errorf("navette %s: exit %d, first line %q; want %d, %q", strings.Join(tt.args, " "), r.code, first, tt.code, tt.first)
		}
	}
}

// TestDirectoryDryRunShowsWhatTheGuardRefuses: the dry run of a flow that
// would revoke more of the directory than allowed at once prints the
// difference, who would be revoked among it, before the refusal, so that
// the operator can decide on --force.
func TestDirectoryDryRunShowsWhatTheGuardRefuses(t *testing.T) {
	dir := t.TempDir()
	const header = "cnbf;nom;prenom;barreau;email;statut;date_maj\n"
	lines := "1;Durand;Stéphane;Amiens;stephane.durand@avocat.example;actif;2026-11-01\n" +
		"2;Lefèvre;Marie;Amiens;marie.lefevre@avocat.example;actif;2026-11-02\n"
	flows := t.TempDir()
	full, short := filepath.Join(flows, "full.csv"), filepath.Join(flows, "short.csv")
	if err := errors.Join(os.WriteFile(full, []byte(header+lines), 0o600), os.WriteFile(short, []byte(header+lines[:strings.Index(lines, "2;")]), 0o600)); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, false, "directory", "import", "--data", dir, "--kind", "lawyers", full); r.code != 0 {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	r := runCLI(t, nil, false, "directory", "import", "--data", dir, "--kind", "lawyers", "--dry-run", short)
	if r.code != 1 || !strings.Contains(r.stderr, "--force") {
		t.Errorf("dry run past the guard: %d %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "revoked 1") || !strings.Contains(r.stdout, "marie.lefevre@avocat.example") || !strings.Contains(r.stdout, "(not applied)") {
		t.Errorf("the dry run does not show what it would do:\n%s", r.stdout)
	}
}

// TestForceOnlyFromTheCommandLine: NAVETTE_FORCE, left in an environment,
// does not lift the guard against a flow revoking too much of a
// directory; --force on the command line does.
func TestForceOnlyFromTheCommandLine(t *testing.T) {
	dir, flows := t.TempDir(), t.TempDir()
	const header = "cnbf;nom;prenom;barreau;email;statut;date_maj\n"
	lines := "1;Durand;Stéphane;Amiens;stephane.durand@avocat.example;actif;2026-11-01\n" +
		"2;Lefèvre;Marie;Amiens;marie.lefevre@avocat.example;actif;2026-11-02\n"
	full, short := filepath.Join(flows, "full.csv"), filepath.Join(flows, "short.csv")
	if err := errors.Join(os.WriteFile(full, []byte(header+lines), 0o600), os.WriteFile(short, []byte(header+lines[:strings.Index(lines, "2;")]), 0o600)); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, false, "directory", "import", "--data", dir, "--kind", "lawyers", full); r.code != 0 {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	env := map[string]string{"NAVETTE_FORCE": "true"}
	if r := runCLI(t, env, false, "directory", "import", "--data", dir, "--kind", "lawyers", short); r.code != 1 || !strings.Contains(r.stderr, "--force") {
		t.Errorf("NAVETTE_FORCE=true: got %d %q, want the flow refused by the guard", r.code, r.stderr)
	}
	if r := runCLI(t, env, false, "directory", "import", "--data", dir, "--kind", "lawyers", "--force", short); r.code != 0 || !strings.Contains(r.stdout, "revoked 1") {
		t.Errorf("--force: got %d %q %q, want the flow applied", r.code, r.stdout, r.stderr)
	}
}

// TestDirectoryImportOtherTable: a table other than the lawyers', read
// with --partner-kind and --map as docs/operations.md shows, is imported
// from the columns --map names alone: before, the lawyers' columns it
// did not name (date_maj) were looked for and the flow refused.
func TestDirectoryImportOtherTable(t *testing.T) {
	dir := t.TempDir()
	flow := filepath.Join(t.TempDir(), "experts.csv")
	const csv = "numero;nom;prenom;cour;courriel;etat\n" +
		"E1;Martin;Luc;CA Amiens;luc.martin@expert.example;actif\n" +
		"E2;Petit;Anne;CA Douai;anne.petit@expert.example;radie\n"
	if err := os.WriteFile(flow, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, false, "directory", "import", "--data", dir, "--kind", "experts", "--partner-kind", "expert",
		"--map", "id=numero,last_name=nom,first_name=prenom,org=cour,email=courriel,status=etat", flow)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "experts: added 1, updated 0, revoked 0, restored 0, unchanged 0, ignored 1") {
		t.Errorf("import: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, false, "directory", "import", "--data", dir, "--kind", "experts", "--partner-kind", "expert", "--map", "id=numero,last_name=nom", flow)
	if r.code == 0 || !strings.Contains(r.stderr, "e-mail") {
		t.Errorf("a map without the e-mail column: exit %d, %q", r.code, r.stderr)
	}
}

// TestMissingDataDirectory: a --data that names no directory, a typo most
// likely, is refused with exit status 2, and nothing is made there: before,
// a new empty platform with keys of its own was made, and the command
// (a user added, a key rotated, a setting changed) applied to it.
func TestMissingDataDirectory(t *testing.T) {
	typo := filepath.Join(t.TempDir(), "navtte")
	flow := filepath.Join(t.TempDir(), "flow.csv")
	if err := os.WriteFile(flow, []byte("cnbf;nom;prenom;barreau;email;statut;date_maj\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"admin", "user", "add", "--email", "x@justice.example", "--name", "X", "--role", "agent"},
		{"admin", "key", "status"},
		{"admin", "settings", "--max-files", "5"},
		{"admin", "journal", "key"},
		{"directory", "import", "--data", typo, "--kind", "lawyers", "--dry-run", flow},
		{"mail", "ls"},
	} {
		if !slices.Contains(args, "--data") {
			args = append(args, "--data", typo)
		}
		r := runCLI(t, nil, false, args...)
		if r.code != 2 || !strings.Contains(r.stderr, typo) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("navette %s --data %s: %d %q %q", strings.Join(args, " "), typo, r.code, r.stdout, r.stderr)
		}
		if _, err := os.Stat(typo); err == nil {
			t.Fatalf("navette %s made %s", strings.Join(args, " "), typo)
		}
	}
}

// admin token create shows one item a line: the token's id and expiry on
// stderr, the secret alone on stdout, to be copied or read by a script.
func TestAdminTokenCreateReadable(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"court", "add", "--code", "TJ-LILLE", "--name", "Tribunal judiciaire de Lille"},
		{"user", "add", "--email", "greffe@justice.example", "--name", "Greffe", "--role", "agent", "--court", "TJ-LILLE"},
	} {
		if r := runCLI(t, nil, true, append(append([]string{"admin"}, args...), "--data", dir)...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	r := runCLI(t, nil, true, "admin", "token", "create", "--email", "greffe@justice.example", "--ttl", "24h", "--data", dir)
	lines := strings.Split(r.stderr, "\n")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "nvt_") || strings.Count(r.stdout, "\n") != 1 || strings.ContainsAny(strings.TrimSpace(r.stdout), " \t") ||
		len(lines) != 3 || !strings.HasPrefix(lines[0], "token id: ") || !strings.HasPrefix(lines[1], "expires:  ") || lines[2] != "" {
		t.Errorf("%+v", r)
	}
}
