package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
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
