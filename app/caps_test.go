package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
)

// stall starts a PATCH of an upload whose body never comes, holding one
// upload in progress until the connection is closed, and returns once the
// server holds it: nothing else runs meanwhile that could take its place.
func stall(t *testing.T, e *env, token, path, xff string) net.Conn {
	t.Helper()
	before := e.app.Server.UploadsInProgress()
	c, err := net.Dial("tcp", e.app.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nX-Forwarded-For: %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 1000\r\n\r\n", path, token, xff)
	waitFor(t, "the server to hold the stalled upload", func() bool { return e.app.Server.UploadsInProgress() > before })
	return c
}

// tusCreate starts an upload from client address xff and returns the
// answer.
func tusCreate(t *testing.T, e *env, token, depositID, xff string) (*http.Response, []byte) {
	t.Helper()
	return e.do("POST", api.PathUploads, token, nil,
		"Tus-Resumable", "1.0.0", "Upload-Length", "10", "X-Forwarded-For", xff,
		"Upload-Metadata", tusMeta(api.MetaDeposit, depositID, api.MetaFilename, "f.bin"))
}

// TestUploadCaps: uploads in progress are capped per API token, per person
// and per client address; beyond a cap the answer is 429 with Retry-After
// and a problem document, and a freed place is taken again.
func TestUploadCaps(t *testing.T) {
	e := newEnv(t, func(c *app.Config) {
		c.MaxUploadsPerToken, c.MaxUploadsPerUser, c.MaxUploadsPerIP = 1, 2, 3
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	token := func(email string) string {
		t.Helper()
		tok, _, err := e.app.Accounts.CreateToken(context.Background(), email, "another", 0)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	d := e.createDeposit(e.agent, lawyerEmail)
	upload := func(tok string) string { return e.createUpload(tok, d.ID, "u.bin", 1000) }
	// refused waits until the server holds the stalled uploads, then
	// checks the refusal.
	refused := func(what, tok, depositID, xff, detail string) {
		t.Helper()
		var resp *http.Response
		var b []byte
		waitFor(t, what+" to be refused", func() bool {
			resp, b = tusCreate(t, e, tok, depositID, xff)
			if resp.StatusCode == http.StatusCreated {
				// Too early: the stall is not held yet. The upload made
				// is deleted, so that a slow machine does not fill the
				// deposit up to its file limit while waiting.
				loc := resp.Header.Get("Location")
				if i := strings.Index(loc, api.PathUploads); i >= 0 {
					loc = loc[i:]
				}
				if r, b := e.do("DELETE", loc, tok, nil, "Tus-Resumable", "1.0.0"); r.StatusCode != http.StatusNoContent {
					t.Fatalf("deleting %s: %d %s", loc, r.StatusCode, b)
				}
				return false
			}
			return true
		})
		p := e.problem(resp, b, http.StatusTooManyRequests)
		if p.Type != "tag:navette,2026:problem:"+navette.ETOOMANY || p.Detail != detail {
			t.Errorf("%s: problem %+v", what, p)
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("%s: Retry-After %q", what, resp.Header.Get("Retry-After"))
		}
	}
	const net1, net2 = "203.0.113.1", "203.0.113.2"

	// Per token: the agent's token holds one upload.
	held := stall(t, e, e.agent, upload(e.agent), net1)
	refused("a second upload with the same token", e.agent, d.ID, net1, "This API token has too many uploads in progress: wait for one to end.")
	// Per person: another token of the agent's takes the second place.
	second := token(agentEmail)
	stall(t, e, second, upload(second), net1)
	refused("a third upload of the same person", token(agentEmail), d.ID, net2, "You have too many uploads in progress: wait for one to end.")
	// Per address: a third person on the same network takes its last place.
	other := e.user("greffe2@justice.example", "Greffe 2", navette.RoleAgent)
	od := e.createDeposit(other, lawyerEmail)
	stall(t, e, other, e.createUpload(other, od.ID, "u.bin", 1000), net1)
	fourth := e.user("greffe3@justice.example", "Greffe 3", navette.RoleAgent)
	fd := e.createDeposit(fourth, lawyerEmail)
	refused("a fourth upload from the same network", fourth, fd.ID, net1, "Too many uploads are in progress from your network: try again shortly.")
	if resp, b := tusCreate(t, e, fourth, fd.ID, net2); resp.StatusCode != http.StatusCreated {
		t.Errorf("from another network: %d %s", resp.StatusCode, b)
	}

	// The first upload ends: its token may upload again.
	held.Close()
	waitFor(t, "the token's place to be freed", func() bool {
		resp, _ := tusCreate(t, e, e.agent, d.ID, net2)
		return resp.StatusCode == http.StatusCreated
	})
}

// TestConnectionCap: beyond the cap, a connection is answered 503 with
// Retry-After and a problem document and closed at once; a freed place is
// taken again.
func TestConnectionCap(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.MaxConns = 3 })
	// Three keep-alive connections, idle after one request each.
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", e.app.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if resp := get(t, c); resp.StatusCode != http.StatusOK {
			t.Fatalf("connection %d: %d", len(held), resp.StatusCode)
		}
		held = append(held, c)
	}
	c, err := net.Dial("tcp", e.app.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp := get(t, c)
	b, _ := io.ReadAll(resp.Body)
	var p api.Problem
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != api.ProblemContentType || json.Unmarshal(b, &p) != nil ||
		p.Status != 503 || p.Type != "tag:navette,2026:problem:"+navette.EUNAVAILABLE {
		t.Fatalf("fourth connection: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("the shed connection stays open: %d, %v", n, err)
	}

	held[0].Close()
	waitFor(t, "the freed place to be taken", func() bool {
		c, err := net.Dial("tcp", e.app.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return get(t, c).StatusCode == http.StatusOK
	})
}

// get sends GET /healthz on c and reads the answer's head.
func get(t *testing.T, c net.Conn) *http.Response {
	t.Helper()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK {
		io.Copy(io.Discard, resp.Body)
	}
	return resp
}
