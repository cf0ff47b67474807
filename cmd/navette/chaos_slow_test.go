package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"navette/api"
	"navette/client"
)

// slowClients serves with a body idle timeout of 2 s and opens conns
// connections from 127.0.0.1 that dribble a request body a byte a second
// or stop sending one, again and again (a public JSON body, an upload body
// without credentials, an upload body signed in), while a client behind a
// trusted proxy deposits and fetches a file of size bytes. That client
// succeeds, every slow connection is cut by the server, and the server's
// resident memory (/proc/PID/status) grows by less than 512 MiB. The same
// flood as app's TestSlowClientsAreCut, against the binary.
func slowClients(t *testing.T, row *chaosRow, bin string, conns int, size int64) {
	c := newChaos(t, bin, filepath.Join(t.TempDir(), "data"), "--body-idle-timeout", "2s", "--trusted-proxies", "127.0.0.1/32")
	t.Cleanup(func() {
		_ = c.srv.cmd.Process.Kill()
		c.srv.wait(t)
	})
	ctx := context.Background()
	admin := func(args ...string) string {
		out, err := exec.Command(bin, append(append([]string{"admin"}, args...), "--data", c.data)...).Output()
		if err != nil {
			t.Fatalf("navette admin %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	admin("user", "add", "--email", "attaquant@justice.example", "--name", "Attaquant", "--role", "agent")
	token := admin("token", "create", "--email", "attaquant@justice.example", "--scopes", "read,write", "--ttl", "24h")
	attacker := c.client(t, token)
	uploads := map[int]string{}
	var depositID string
	for i := 2; i < conns; i += 3 {
		if len(uploads)%100 == 0 {
			d, err := attacker.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "RG 26/14 flood " + strconv.Itoa(i)})
			if err != nil {
				t.Fatal(err)
			}
			depositID = d.ID
		}
		uploads[i] = c.createUploadAs(t, token, depositID, "f"+strconv.Itoa(i)+".bin", 1<<20)
	}
	pid := c.srv.cmd.Process.Pid
	base := procKiB(t, pid, "VmRSS")

	flood, stopFlood := context.WithCancel(ctx)
	defer stopFlood()
	var draining atomic.Bool
	var finished, dialErrs, peakConns atomic.Int64
	cuts := make([]atomic.Int64, conns)
	var answers sync.Map
	var wg sync.WaitGroup
	addr := strings.TrimPrefix(c.srv.url, "http://")
	for i := range conns {
		wg.Go(func() {
			defer finished.Add(1)
			var req string
			switch i % 3 {
			case 0:
				req = fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"email\":\"", api.PathAuthCode)
			case 1:
				req = fmt.Sprintf("PATCH %s/nosuch HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 100000\r\n\r\n", strings.TrimSuffix(api.PathUploads, "/"))
			case 2:
				req = fmt.Sprintf("PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 1000000\r\n\r\n", uploads[i], token)
			}
			for flood.Err() == nil && !draining.Load() {
				status, cut, err := dribble(flood, addr, req, i%3 == 0)
				if err != nil {
					dialErrs.Add(1)
				}
				if status != "" {
					v, _ := answers.LoadOrStore(status, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
				}
				if cut {
					cuts[i].Add(1)
				}
				select {
				case <-flood.Done():
				case <-time.After(time.Duration(300+rand.IntN(700)) * time.Millisecond):
				}
			}
		})
	}
	sampling, stopSampling := context.WithCancel(ctx)
	var peak atomic.Int64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for sampling.Err() == nil {
			peak.Store(max(peak.Load(), procKiB(t, pid, "VmRSS")))
			peakConns.Store(max(peakConns.Load(), int64(sockets(pid))))
			time.Sleep(100 * time.Millisecond)
		}
	}()
	row.tries++
	if !waitFor(3*time.Minute, func() bool { return peakConns.Load() >= int64(conns)*2/3 }) {
		row.fail(t, "only %d of the %d slow connections opened at once", peakConns.Load(), conns)
	}
	honest := &http.Client{Transport: forwardedFor{"192.0.2.10"}}
	if err := c.honestRoundTrip(honest, size); err != nil {
		row.fail(t, "the honest client's deposit and download of %d MiB during the flood: %v", size>>20, err)
	}
	draining.Store(true)
	if !waitFor(3*time.Minute, func() bool { return finished.Load() == int64(conns) }) {
		row.fail(t, "%d of %d slow clients not cut within 3 min", int64(conns)-finished.Load(), conns)
	}
	stopFlood()
	wg.Wait()
	stopSampling()
	<-sampled
	never := 0
	for i := range cuts {
		if cuts[i].Load() == 0 {
			never++
		}
	}
	if never > 0 {
		row.fail(t, "%d of %d slow clients were never cut by the server", never, conns)
	}
	growth := peak.Load() - base
	if growth > 512<<10 {
		row.fail(t, "the server's resident memory grew by %d MiB under the flood", growth>>10)
	}
	var seen []string
	answers.Range(func(k, v any) bool {
		seen = append(seen, fmt.Sprintf("%s ×%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	row.notes = append(row.notes, fmt.Sprintf("%d slow connections, %d open at once at most, %d dial errors; honest %d MiB round trip; resident memory %d MiB, +%d MiB at the peak",
		conns, peakConns.Load(), dialErrs.Load(), size>>20, base>>10, growth>>10))
	t.Logf("%s: answers to the slow clients: %v", row.fault, seen)
}

// honestRoundTrip deposits a file of size bytes through hc and downloads
// it, comparing its SHA-256.
func (c *chaos) honestRoundTrip(hc *http.Client, size int64) error {
	ctx := context.Background()
	sc, err := client.New(c.srv.url, c.sender, client.WithHTTPClient(hc))
	if err != nil {
		return err
	}
	rc, err := client.New(c.srv.url, c.recipient, client.WithHTTPClient(hc))
	if err != nil {
		return err
	}
	d, err := sc.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "RG 26/14 honnête"})
	if err != nil {
		return err
	}
	src := newStream(6000)
	fid, err := sc.Upload(ctx, d.ID, "honnete.bin", io.NewSectionReader(readerAt{src}, 0, size), size, nil)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	if _, err := sc.Submit(ctx, d.ID); err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	h := sha256.New()
	if _, err := rc.Download(ctx, d.ID, fid, h, 0); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	want := sha256.New()
	if _, err := io.Copy(want, src.reader(0, size)); err != nil {
		return err
	}
	if string(h.Sum(nil)) != string(want.Sum(nil)) {
		return errors.New("the file downloaded differs")
	}
	return nil
}

// forwardedFor sends requests as a trusted proxy would for client ip.
type forwardedFor struct{ ip string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return http.DefaultTransport.RoundTrip(r)
}

// dribble sends req on a new connection, then a byte a second if slow,
// else nothing, until the server answers and closes the connection (cut)
// or ctx ends. It returns the answer's status line.
func dribble(ctx context.Context, addr, req string, slow bool) (status string, cut bool, err error) {
	c, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", false, err
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		return "", true, nil
	}
	var got []byte
	buf := make([]byte, 512)
	for ctx.Err() == nil {
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if len(got) < 64 {
			got = append(got, buf[:n]...)
		}
		var ne net.Error
		switch {
		case err == nil:
		case errors.As(err, &ne) && ne.Timeout():
			if slow {
				if _, err := c.Write([]byte("a")); err != nil {
					return firstLine(got), true, nil
				}
			}
		default: // EOF or reset: the server cut the connection
			return firstLine(got), true, nil
		}
	}
	return firstLine(got), false, nil
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\r\n")
	return line
}

// procKiB returns a field of /proc/PID/status in KiB (VmRSS, VmHWM).
func procKiB(t *testing.T, pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	t.Errorf("no %s in /proc/%d/status", field, pid)
	return 0
}

// sockets counts the sockets the process pid holds open.
func sockets(pid int) int {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	es, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range es {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}
