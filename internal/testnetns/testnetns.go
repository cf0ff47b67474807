//go:build linux

// Package testnetns runs a test in a network namespace of its own and
// records every connection attempt made in it, for tests that prove what
// a whole deployment talks to. Only tests import it.
//
// Isolate re-runs the calling test alone in a child process created with
// CLONE_NEWNET (root is needed, as in CI; without it the test fails). The
// new namespace has only the loopback interface, and the child routes
// every address to it: "ip route add local 0.0.0.0/0 dev lo" and
// "ip -6 route add local ::/0 dev lo" make each IPv4 and IPv6 address a
// local one, so no packet can leave the machine, and a connection to an
// address nobody listens on is refused at once instead of hanging.
//
// Capture sees every attempt, to any address and port, whether something
// listens there or not: an AF_PACKET socket bound to lo receives a copy of
// each frame, and a classic BPF filter in the kernel keeps only TCP
// segments with SYN set and ACK clear (the first packet of every
// connection, answered or refused) and every UDP datagram (DNS queries
// among them), over IPv4 and IPv6. Nothing needs a listener, iptables or
// TPROXY, and no port is missed. The kernel counts the packets it had to
// drop for lack of room in the socket's buffer: Close fails if any was,
// since a capture with holes would prove nothing.
package testnetns

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// envInside is set in the environment of the child that runs in the new
// namespace.
const envInside = "NAVETTE_TESTNETNS"

// InNamespace reports whether t runs in the namespace Isolate made for it.
func InNamespace(t *testing.T) bool { return os.Getenv(envInside) == t.Name() }

// Isolate runs t's test function again, alone, in a child process in a
// fresh network namespace, and reports whether the caller is that child.
// The parent (false) relays the child's output to t's log and fails t if
// the child fails; it should return at once. The child (true) has set up
// its namespace: lo up, every IPv4 and IPv6 address routed to it, and no
// other interface. Prepare what needs the network (installing packages,
// building tools) in the parent, before calling Isolate.
func Isolate(t *testing.T) bool {
	t.Helper()
	if InNamespace(t) {
		if err := setUp(); err != nil {
			t.Fatalf("testnetns: %v", err)
		}
		return true
	}
	if os.Geteuid() != 0 {
		t.Fatal("testnetns: a network namespace of its own needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN), as in CI")
	}
	timeout := 10 * time.Minute
	if d, ok := t.Deadline(); ok {
		timeout = time.Until(d) - 5*time.Second
	}
	args := []string{"-test.run=^" + t.Name() + "$", "-test.count=1", "-test.v=true", "-test.timeout=" + timeout.String()}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envInside+"="+t.Name())
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	// Pdeathsig follows the thread that started the child: keep it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		t.Fatalf("testnetns: start the test in a new network namespace: %v", err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		t.Log("netns: " + sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("testnetns: the test in its network namespace failed: %v", err)
	}
	return false
}

// setUp brings lo up and makes every address local, then checks that lo
// is the only interface.
func setUp() error {
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"route", "add", "local", "0.0.0.0/0", "dev", "lo"},
		{"-6", "route", "add", "local", "::/0", "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, i := range ifs {
		if i.Name != "lo" {
			return fmt.Errorf("interface %s in what should be a fresh namespace", i.Name)
		}
	}
	return nil
}

// Attempt is a connection attempt seen on lo: the SYN of a TCP connection,
// or a UDP datagram.
type Attempt struct {
	Time  time.Time
	Proto string // "tcp" or "udp"
	Src   netip.AddrPort
	Dst   netip.AddrPort
	// Query is the name a datagram to port 53 asks for, as far as the
	// capture kept of it.
	Query string
}

func (a Attempt) String() string {
	s := fmt.Sprintf("%s %s → %s at %s", a.Proto, a.Src, a.Dst, a.Time.Format("15:04:05.000"))
	if a.Query != "" {
		s += " (DNS query for " + a.Query + ")"
	}
	return s
}

// marker is where Sync sends its datagrams, which Attempts leaves out.
var marker = netip.MustParseAddrPort("127.66.66.66:6")

// Capture records the connection attempts made in the namespace.
type Capture struct {
	fd      int
	done    chan struct{}
	stop    chan struct{}
	closing sync.Once

	mu       sync.Mutex
	attempts []Attempt
	markers  int
	err      error
	marked   *sync.Cond
}

// snapLen is how much of each frame the filter keeps: the Ethernet, IPv6
// and TCP headers, with room.
const snapLen = 128

// filter accepts TCP segments with SYN and not ACK, and UDP datagrams,
// over IPv4 and IPv6, from Ethernet frames (lo has a 14-byte header of
// zero addresses); it drops everything else.
func filter() []unix.SockFilter {
	const (
		ldh  = unix.BPF_LD | unix.BPF_H | unix.BPF_ABS
		ldb  = unix.BPF_LD | unix.BPF_B | unix.BPF_ABS
		ldbx = unix.BPF_LD | unix.BPF_B | unix.BPF_IND
		msh  = unix.BPF_LDX | unix.BPF_B | unix.BPF_MSH
		jeq  = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		and  = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
		ret  = unix.BPF_RET | unix.BPF_K
		syn  = 0x02
		ack  = 0x10
	)
	// Jump offsets count from the next instruction: accept is 16, drop 17.
	return []unix.SockFilter{
		/* 0 */ {Code: ldh, K: 12}, // EtherType
		/* 1 */ {Code: jeq, K: unix.ETH_P_IP, Jt: 0, Jf: 7},
		/* 2 */ {Code: ldb, K: 14 + 9}, // IPv4 protocol
		/* 3 */ {Code: jeq, K: unix.IPPROTO_UDP, Jt: 12, Jf: 0},
		/* 4 */ {Code: jeq, K: unix.IPPROTO_TCP, Jt: 0, Jf: 12},
		/* 5 */ {Code: msh, K: 14}, // X = IPv4 header length
		/* 6 */ {Code: ldbx, K: 14 + 13}, // TCP flags
		/* 7 */ {Code: and, K: syn | ack},
		/* 8 */ {Code: jeq, K: syn, Jt: 7, Jf: 8},
		/* 9 */ {Code: jeq, K: unix.ETH_P_IPV6, Jt: 0, Jf: 7},
		/* 10 */ {Code: ldb, K: 14 + 6}, // IPv6 next header
		/* 11 */ {Code: jeq, K: unix.IPPROTO_UDP, Jt: 4, Jf: 0},
		/* 12 */ {Code: jeq, K: unix.IPPROTO_TCP, Jt: 0, Jf: 4},
		/* 13 */ {Code: ldb, K: 14 + 40 + 13}, // TCP flags
		/* 14 */ {Code: and, K: syn | ack},
		/* 15 */ {Code: jeq, K: syn, Jt: 0, Jf: 1},
		/* 16 */ {Code: ret, K: snapLen},
		/* 17 */ {Code: ret, K: 0},
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// StartCapture starts recording the attempts made on lo, until Close.
func StartCapture() (*Capture, error) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("testnetns: packet socket: %w", err)
	}
	f := filter()
	setup := []error{
		unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}),
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20),
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100_000}),
	}
	if err := errors.Join(setup...); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("testnetns: packet socket: %w", err)
	}
	// Bound after the filter is attached, so that no frame slips past it.
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: lo.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("testnetns: bind the packet socket to lo: %w", err)
	}
	c := &Capture{fd: fd, done: make(chan struct{}), stop: make(chan struct{})}
	c.marked = sync.NewCond(&c.mu)
	go c.read()
	return c, nil
}

// read reads frames until Close.
func (c *Capture) read() {
	defer close(c.done)
	buf := make([]byte, 2*snapLen)
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		n, from, err := unix.Recvfrom(c.fd, buf, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.marked.Broadcast()
			c.mu.Unlock()
			return
		}
		// lo hands each frame to the socket twice: as it is sent, then as
		// it is received.
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		a, ok := parse(buf[:n])
		if !ok {
			continue
		}
		a.Time = time.Now()
		c.mu.Lock()
		if a.Dst == marker && a.Proto == "udp" {
			c.markers++
			c.marked.Broadcast()
		} else {
			c.attempts = append(c.attempts, a)
		}
		c.mu.Unlock()
	}
}

// parse reads an attempt from a frame the filter kept.
func parse(b []byte) (Attempt, bool) {
	if len(b) < 14 {
		return Attempt{}, false
	}
	var a Attempt
	var l4 []byte
	var proto byte
	switch binary.BigEndian.Uint16(b[12:14]) {
	case unix.ETH_P_IP:
		ip := b[14:]
		if len(ip) < 20 {
			return a, false
		}
		ihl := int(ip[0]&0x0f) * 4
		if len(ip) < ihl+4 {
			return a, false
		}
		proto = ip[9]
		src, _ := netip.AddrFromSlice(ip[12:16])
		dst, _ := netip.AddrFromSlice(ip[16:20])
		l4 = ip[ihl:]
		a.Src, a.Dst = netip.AddrPortFrom(src, binary.BigEndian.Uint16(l4[0:2])), netip.AddrPortFrom(dst, binary.BigEndian.Uint16(l4[2:4]))
	case unix.ETH_P_IPV6:
		ip := b[14:]
		if len(ip) < 44 {
			return a, false
		}
		proto = ip[6]
		src, _ := netip.AddrFromSlice(ip[8:24])
		dst, _ := netip.AddrFromSlice(ip[24:40])
		l4 = ip[40:]
		a.Src, a.Dst = netip.AddrPortFrom(src, binary.BigEndian.Uint16(l4[0:2])), netip.AddrPortFrom(dst, binary.BigEndian.Uint16(l4[2:4]))
	default:
		return a, false
	}
	switch proto {
	case unix.IPPROTO_TCP:
		a.Proto = "tcp"
	case unix.IPPROTO_UDP:
		a.Proto = "udp"
		if a.Dst.Port() == 53 && len(l4) > 8 {
			a.Query = dnsName(l4[8:])
		}
	default:
		return a, false
	}
	return a, true
}

// dnsName returns the name of the first question of a DNS message, as far
// as msg holds it.
func dnsName(msg []byte) string {
	if len(msg) < 12 {
		return ""
	}
	var labels []string
	for b := msg[12:]; len(b) > 0 && b[0] != 0 && b[0] < 64; {
		n := int(b[0])
		if len(b) < 1+n {
			labels = append(labels, string(b[1:])+"…")
			break
		}
		labels = append(labels, string(b[1:1+n]))
		b = b[1+n:]
	}
	return strings.Join(labels, ".")
}

// Sync returns once every attempt made before it was called is recorded:
// it sends a datagram to a marker address and waits for the capture to
// read it, as the socket delivers frames in order.
func (c *Capture) Sync() error {
	c.mu.Lock()
	want := c.markers + 1
	c.mu.Unlock()
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(marker))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		<-ctx.Done()
		c.mu.Lock()
		c.marked.Broadcast()
		c.mu.Unlock()
	}()
	if _, err := conn.Write([]byte("sync")); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.markers < want && c.err == nil && ctx.Err() == nil {
		c.marked.Wait()
	}
	switch {
	case c.err != nil:
		return c.err
	case c.markers < want:
		return errors.New("testnetns: the capture did not see its marker")
	}
	return nil
}

// Attempts returns the attempts recorded so far (call Sync first to have
// all those made until then).
func (c *Capture) Attempts() []Attempt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Attempt(nil), c.attempts...)
}

// Close stops the capture. It fails if reading failed or if the kernel
// dropped any frame the filter kept.
func (c *Capture) Close() error {
	var err error
	c.closing.Do(func() {
		stats, serr := unix.GetsockoptTpacketStats(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
		close(c.stop)
		<-c.done
		unix.Close(c.fd)
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case c.err != nil:
			err = fmt.Errorf("testnetns: capture: %w", c.err)
		case serr != nil:
			err = fmt.Errorf("testnetns: capture statistics: %w", serr)
		case stats.Drops > 0:
			err = fmt.Errorf("testnetns: the kernel dropped %d of %d frames: the capture has holes", stats.Drops, stats.Packets)
		}
	})
	return err
}
