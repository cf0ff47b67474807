// Package atomicfile replaces small files whole and durably: a reader
// sees the old file or the new one, never a part, even after a crash.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to dir/name, mode 0600, through a temporary file of
// dir named by pattern (as os.CreateTemp), synced and renamed into place,
// then syncs dir. On failure the temporary file is removed.
func Write(dir, name, pattern string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes the entries of dir durable, such as a rename into it.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
