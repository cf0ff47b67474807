//go:build !linux

package cli

import "os"

// lockHolder returns 0: only Linux lists who holds a flock.
func lockHolder(*os.File) int { return 0 }
