package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"navette"
)

// closedPort returns the URL of a local port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	return url
}

// TestUnreachableServer: every client command told to use a server that
// does not answer says so on one line naming the server and the cause,
// not Go's request text, and fails with status 1.
func TestUnreachableServer(t *testing.T) {
	t.Parallel()
	server := closedPort(t)
	vars := varsAt(server, "nvt_token")
	id := "a234567abcdefghijklmnopqrstuvwxy"
	file := writeFile(t, t.TempDir(), "pièce jointe.pdf", []byte("%PDF-1.7"))
	for _, c := range []struct {
		name string
		args []string
	}{
		{"inbox", []string{"inbox"}},
		{"get", []string{"get", "--out", filepath.Join(t.TempDir(), "out"), id}},
		{"revoke", []string{"revoke", id}},
		{"extend", []string{"extend", id, "--days", "3"}},
		{"send", []string{"send", "--to", lawyer, "--ref", "R", file}},
		{"case ls", []string{"case", "ls"}},
		{"admin users ls", []string{"admin", "users", "ls"}},
	} {
		r := runCLI(t, vars, false, c.args...)
		want := "navette " + c.name + ": the connection to the server " + server + " failed (connect: connection refused)\n"
		if r.code != 1 || r.stderr != want {
			t.Errorf("%q: got %d %q, want 1 %q", c.args, r.code, r.stderr, want)
		}
	}
}

// TestServerURLOfAnotherSite: a server URL that names a web site other
// than navette (here one answering every request with a page) is told as
// such on one line, whatever the command expected of the API.
func TestServerURLOfAnotherSite(t *testing.T) {
	t.Parallel()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>Welcome to nginx!</body></html>")
	}))
	t.Cleanup(site.Close)
	vars := varsAt(site.URL, "nvt_token")
	file := writeFile(t, t.TempDir(), "pièce.pdf", []byte("%PDF-1.7"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--to", lawyer, "--ref", "R", file}, "navette send: the server answered 200 OK, which is not an answer of the navette API; is the server URL right?\n"},
		{[]string{"inbox"}, `navette inbox: the server answered GET /api/v1/deposits with "text/html" instead of JSON; is the server URL right?` + "\n"},
	} {
		if r := runCLI(t, vars, false, c.args...); r.code != 1 || r.stderr != c.want {
			t.Errorf("%q: got %d %q, want 1 %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// TestSubcommandNamed: a failure of a subcommand of admin, case, mail or
// directory is told under the subcommand's name, not the group's alone.
func TestSubcommandNamed(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.user("admin@justice.example", navette.RoleAdmin)
	id := "a234567abcdefghijklmnopqrstuvwxy"
	flow := writeFile(t, t.TempDir(), "tableau national.csv", []byte("not,a,flow\n"))
	for _, c := range []struct {
		vars map[string]string
		args []string
		want string
	}{
		{e.vars(admin), []string{"admin", "users", "show", id}, "navette admin users show: No such user.\n"},
		{nil, []string{"admin", "user", "role", "--data", e.dir, "--email", "nobody@x.example", "--role", "agent"}, "navette admin user role: no user has the e-mail nobody@x.example\n"},
		{nil, []string{"admin", "settings", "--data", e.dir, "extra"}, "navette admin settings: unexpected argument \"extra\"\n"},
		{nil, []string{"admin", "journal", "key", "--data", e.dir, "--origin", "x.example/navette-journal"}, "navette admin journal key: --origin names a new key: give it with rotate\n"},
		{e.vars(e.agent), []string{"case", "show", id}, "navette case show: No such case.\n"},
		{nil, []string{"mail", "show", "--data", e.dir, "nope"}, "navette mail show: No message \"nope\" in the outbox.\n"},
		{nil, []string{"directory", "import", "--data", e.dir, "--kind", "experts", flow}, "navette directory import: --partner-kind is required for a flow other than lawyers\n"},
	} {
		if r := runCLI(t, c.vars, false, c.args...); r.code == 0 || r.stderr != c.want {
			t.Errorf("%q: got %d %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// TestDataDirectoryOfSomethingElse: a command given as --data a directory
// that holds other things and no keys (a home directory, a typo) is
// refused on one line, and makes no platform there: no keys, no database.
func TestDataDirectoryOfSomethingElse(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeFile(t, home, "notes.txt", []byte("à faire"))
	want := "holds no keys/ yet is not empty: give the data directory of the platform (an empty directory for a new one)\n"
	for _, args := range [][]string{
		{"mail", "ls", "--data", home},
		{"admin", "settings", "--data", home},
		{"admin", "key", "status", "--data", home},
		{"admin", "user", "add", "--data", home, "--email", "a@justice.example", "--name", "A", "--role", "admin"},
	} {
		r := runCLI(t, nil, false, args...)
		if r.code != 2 || !strings.HasSuffix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: got %d %q, want 2 and %q", args, r.code, r.stderr, want)
		}
	}
	if got := tree(t, home); !slices.Equal(got, []string{"notes.txt"}) {
		t.Errorf("got %q in the directory, want only notes.txt", got)
	}
}
