package disk

import (
	"syscall"

	"golang.org/x/sys/windows"
)

// statfs asks GetDiskFreeSpaceExW, in bytes: those available to the
// calling user (quotas counted) and the volume's size.
func statfs(dir string) (avail, blocks, unit int64, err error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, 0, 0, err
	}
	var free, total, totalFree uint64
	err = windows.GetDiskFreeSpaceEx(p, &free, &total, &totalFree)
	return int64(free), int64(total), 1, err
}

// fullErrors are the errors of a write to a full disk or quota.
var fullErrors = []error{windows.ERROR_DISK_FULL, windows.ERROR_HANDLE_DISK_FULL, syscall.ENOSPC}
