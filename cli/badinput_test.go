package cli

import (
	"net"
	"path/filepath"
	"testing"
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
		{"case", []string{"case", "ls"}},
		{"admin", []string{"admin", "users", "ls"}},
	} {
		r := runCLI(t, vars, false, c.args...)
		want := "navette " + c.name + ": the connection to the server " + server + " failed (connect: connection refused)\n"
		if r.code != 1 || r.stderr != want {
			t.Errorf("%q: got %d %q, want 1 %q", c.args, r.code, r.stderr, want)
		}
	}
}
