//go:build !windows

package disk

import "syscall"

// fullErrors are the errors of a write to a full file system or quota.
var fullErrors = []error{syscall.ENOSPC, syscall.EDQUOT}
