package app_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"navette"
	"navette/api"
)

// TestDroppedDownloadInBuffersIsNoDownload: a client that reads the start
// of a file small enough to fit in the kernel's socket buffers, waits
// until the server has written all of it, then drops the connection, is
// no download: the server wrote every byte, but most never reached the
// client. Only what the client's side acknowledged (or less) is recorded
// as delivered; no receipt is mailed.
func TestDroppedDownloadInBuffersIsNoDownload(t *testing.T) {
	e := newEnv(t)
	size := 2 << 20 // within the send buffer the kernel grows to on loopback
	d := e.send(map[string][]byte{"rapport.bin": randomBytes(size, 13)})
	f := d.Files[0]

	conn := dialSmall(t, e)
	read, total := getAndRead(t, conn, e.url+filePath(d, f), bearer(e.lawyer), 64<<10)
	if total < int64(size) {
		t.Fatalf("answer of %d bytes, want its headers and the %d of the file", total, size)
	}
	closeWhenWritten(t, conn, read, total)

	var cover []navette.ByteRange
	waitFor(t, "the dropped transfer settled", func() bool {
		cover = e.delivered(t, lawyerEmail, f.ID)
		return len(cover) > 0 || len(e.downloads(t, f.ID)) > 0
	})
	e.noDownloadYet(t, "a transfer dropped with most of the file in the kernel's buffers", d, f)
	if len(cover) != 1 || cover[0].Start != 0 || cover[0].End >= int64(size)/2 {
		t.Errorf("delivered after the drop: %v, want [0, n) with n < %d: the client read 64 KiB, its small buffer holds little more", cover, size/2)
	}
}

// dialSmall connects to the server with a small receive buffer, which
// the kernel no longer grows: what the client does not read stays on the
// server's side.
func dialSmall(t *testing.T, e *env) *net.TCPConn {
	t.Helper()
	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 32<<10) }); err != nil {
			return err
		}
		return serr
	}}
	conn, err := dialer.DialContext(t.Context(), "tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	return conn.(*net.TCPConn)
}

// getAndRead gets rawURL on conn, authorised by auth, asking the server to close the
// connection after its answer, reads n bytes of the answer's body (all of
// it when n < 0), and returns how many bytes it read from the connection
// and the length of the whole answer, headers included, when it has a
// Content-Length (-1 otherwise).
func getAndRead(t *testing.T, conn net.Conn, rawURL string, auth func(*http.Request), n int) (read, length int64) {
	t.Helper()
	req, _ := http.NewRequest("GET", rawURL, nil)
	auth(req)
	req.Close = true
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	cr := io.TeeReader(conn, &got)
	br := bufio.NewReader(cr)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatal(err)
	}
	length = -1
	if resp.ContentLength >= 0 {
		length = int64(got.Len()-br.Buffered()) + resp.ContentLength
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", rawURL, resp.StatusCode)
	}
	if n < 0 {
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, cr)
	} else if _, err := io.ReadFull(resp.Body, make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	return int64(got.Len()), length
}

// closeWhenWritten waits until the server has written the first n bytes
// of its answer on conn, of which the client read read, then closes conn:
// the server has written them once what the client read, what it left
// unread and what the server's side still holds add up to n. Closing
// before could cut the server's writes, and a test of what happens to
// bytes left in the kernel's buffers would then test a failed write.
func closeWhenWritten(t *testing.T, conn *net.TCPConn, read, n int64) {
	t.Helper()
	waitFor(t, "the server to have written the whole answer", func() bool {
		sent, _ := tcpQueue(t, conn.RemoteAddr(), conn.LocalAddr())
		_, unread := tcpQueue(t, conn.LocalAddr(), conn.RemoteAddr())
		return read+unread+sent >= n
	})
	conn.Close() // unread bytes pending: the connection is reset
}

// tcpQueue returns, from /proc/net/tcp, the send queue (bytes not
// acknowledged) and the receive queue (bytes not read) of the socket from
// local to remote.
func tcpQueue(t *testing.T, local, remote net.Addr) (tx, rx int64) {
	t.Helper()
	hexAddr := func(a net.Addr) string {
		ta := a.(*net.TCPAddr)
		ip := ta.IP.To4()
		return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ta.Port)
	}
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	l, r := hexAddr(local), hexAddr(remote)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[1] == l && f[2] == r {
			q := strings.Split(f[4], ":")
			tx, _ = strconv.ParseInt(q[0], 16, 64)
			rx, _ = strconv.ParseInt(q[1], 16, 64)
			return tx, rx
		}
	}
	return 0, 0
}

// TestDroppedZipInBuffersIsNoDownload: a client that reads the start of a
// ZIP of a deposit's files small enough to fit in the kernel's socket
// buffers, waits until the server has written all of it, then drops the
// connection, downloaded none of its files: the client's side
// acknowledged the end of no entry. No file of it is recorded as
// downloaded by the client; of the first, only what the client
// acknowledged (or less) is recorded as delivered. So for the API's case
// bundle and for the web's deposit ZIP.
func TestDroppedZipInBuffersIsNoDownload(t *testing.T) {
	tests := []struct {
		name string
		path func(d api.Deposit) string
		// as returns how requests of the lawyer and of the other recipient
		// are authorised.
		as func(t *testing.T, e *env) (lawyer, stranger func(*http.Request))
	}{
		{"API case bundle", func(d api.Deposit) string { return api.PathCases + "/" + d.CaseID + "/bundle" },
			func(t *testing.T, e *env) (lawyer, stranger func(*http.Request)) {
				return bearer(e.lawyer), bearer(e.stranger)
			}},
		{"web deposit ZIP", func(d api.Deposit) string { return "/deposits/" + d.ID + "/zip" },
			func(t *testing.T, e *env) (lawyer, stranger func(*http.Request)) {
				l, _ := e.signIn(t, lawyerEmail)
				s, _ := e.signIn(t, strangerEmail)
				return l.authorize, s.authorize
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			lawyerAuth, strangerAuth := tc.as(t, e)
			droppedZip(t, e, tc.path, lawyerAuth, strangerAuth)
		})
	}
}

// droppedZip is TestDroppedZipInBuffersIsNoDownload over the ZIP at path,
// fetched by the lawyer and the other recipient as lawyerAuth and
// strangerAuth authorise them.
func droppedZip(t *testing.T, e *env, path func(api.Deposit) string, lawyerAuth, strangerAuth func(*http.Request)) {
	d := e.createDeposit(e.agent, lawyerEmail, strangerEmail)
	for i, name := range []string{"a.bin", "b.bin", "c.bin"} {
		e.upload(e.agent, d.ID, name, randomBytes(300<<10, uint64(20+i)))
	}
	d = e.submit(e.agent, d.ID)
	zipURL := e.url + path(d)
	// The whole answer, as the other recipient gets it: its length is the
	// lawyer's too.
	full := dialSmall(t, e)
	total, _ := getAndRead(t, full, zipURL, strangerAuth, -1)
	full.Close()

	conn := dialSmall(t, e)
	read, _ := getAndRead(t, conn, zipURL, lawyerAuth, 64<<10)
	// All of the answer but the chunked body's end, which follows the
	// handler.
	const lastChunk = "0\r\n\r\n"
	closeWhenWritten(t, conn, read, total-int64(len(lastChunk)))

	lawyer, err := e.app.Meta.UserByEmail(t.Context(), lawyerEmail)
	if err != nil {
		t.Fatal(err)
	}
	mine := func(fid string) (n int) {
		for _, ev := range e.downloads(t, fid) {
			if ev.ActorID == lawyer.ID {
				n++
			}
		}
		return n
	}
	waitFor(t, "the dropped archive settled", func() bool {
		return slices.ContainsFunc(d.Files, func(f api.File) bool { return len(e.delivered(t, lawyerEmail, f.ID)) > 0 || mine(f.ID) > 0 })
	})
	var delivered []string
	for _, f := range d.Files {
		if n := mine(f.ID); n != 0 {
			t.Errorf("%s: %d downloads recorded, want none: the archive was dropped with it in the kernel's buffers", f.Name, n)
		}
		if c := e.delivered(t, lawyerEmail, f.ID); len(c) > 0 {
			delivered = append(delivered, f.Name)
			if len(c) != 1 || c[0].Start != 0 || c[0].End >= 200<<10 {
				t.Errorf("delivered of %s after the drop: %v, want [0, n) with n < %d", f.Name, c, 200<<10)
			}
		}
	}
	if len(delivered) > 1 {
		t.Errorf("files delivered in part: %v, want the archive's first alone", delivered)
	}
}
