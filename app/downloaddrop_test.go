package app_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"

	"navette"
)

// TestDroppedDownloadInBuffersIsNoDownload: a client that reads the start
// of a file small enough to fit in the kernel's socket buffers, then drops
// the connection, is no download: the server wrote every byte, but most
// never reached the client. Only what the client's side acknowledged (or
// less) is recorded as delivered; no receipt is mailed.
func TestDroppedDownloadInBuffersIsNoDownload(t *testing.T) {
	e := newEnv(t)
	size := 2 << 20 // within the send buffer the kernel grows to on loopback
	d := e.send(map[string][]byte{"rapport.bin": randomBytes(size, 13)})
	f := d.Files[0]

	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		// A small receive buffer, which the kernel no longer grows: what
		// the client does not read stays on the server's side.
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
	req, _ := http.NewRequest("GET", e.url+filePath(d, f), nil)
	req.Header.Set("Authorization", "Bearer "+e.lawyer)
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	conn.Close() // unread bytes pending: the connection is reset

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
