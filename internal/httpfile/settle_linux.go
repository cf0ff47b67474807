package httpfile

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// TCP states of Linux (include/net/tcp_states.h) in which the peer may
// still acknowledge what was sent.
const (
	tcpEstablished = 1
	tcpCloseWait   = 8
)

// Unacked returns the bytes of c's send queue its peer has not
// acknowledged yet, and whether the connection still carries them; ok is
// false when c is no TCP connection, is closed, or the kernel does not
// say. A wrapper that closes the connection asks it first, so that what it
// tells outlives the connection (ClosedQueue).
func Unacked(c net.Conn) (n int64, open, ok bool) {
	sc, isSys := baseConn(c).(syscall.Conn)
	if !isSys {
		return 0, false, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, false, false
	}
	var q int
	var info *unix.TCPInfo
	var qerr, ierr error
	if err := raw.Control(func(fd uintptr) {
		q, qerr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil || qerr != nil || ierr != nil {
		return 0, false, false
	}
	return int64(q), info.State == tcpEstablished || info.State == tcpCloseWait, true
}
