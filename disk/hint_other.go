//go:build !linux

package disk

import "os"

// startWriteback does nothing where sync_file_range is missing.
func startWriteback(f *os.File, off, n int64) {}

// adviseSequential does nothing where posix_fadvise is not used.
func adviseSequential(f *os.File, off, n int64) {}
