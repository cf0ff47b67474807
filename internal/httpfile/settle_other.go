//go:build !linux

package httpfile

import "net"

// Unacked cannot tell, but on Linux: ok is false.
func Unacked(net.Conn) (n int64, open, ok bool) { return 0, false, false }
