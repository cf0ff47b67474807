package testoidc

import "syscall"

// sysProcAttr makes the kernel kill the provider if the test process dies
// without stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
