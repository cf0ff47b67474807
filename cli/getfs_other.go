//go:build !linux

package cli

import "os"

// lockHolder returns 0: only Linux lists who holds a flock.
func lockHolder(*os.File) int { return 0 }

// renameExclusive gives the file at part the path p if no file has it, and
// reports whether it did, by checkThenRename.
func renameExclusive(part, p string) (bool, error) { return checkThenRename(part, p) }
