package backup

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"navette"
	"navette/atomicfile"
)

// maxKeyFile bounds a file of the key directory.
const maxKeyFile = 64 << 10

// keyName is the name of a file of a key directory.
var keyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// ExportKeys writes the regular files of the key directory dir (the
// key-encryption keys, the journal's signing keys, the MAC keys) to w as a
// tar archive, and returns how many it wrote. Whoever holds the export can
// open every backup: keep it apart from them.
func ExportKeys(dir string, w io.Writer, now time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, navette.WrapError(navette.EINVALID, err, "Cannot read the key directory %s.", dir)
	}
	tw := tar.NewWriter(w)
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !keyName.MatchString(e.Name()) {
			continue
		}
		if err := exportKey(tw, dir, e.Name(), now); err != nil {
			return n, err
		}
		n++
	}
	if n == 0 {
		return 0, navette.Errorf(navette.ENOTFOUND, "No key in %s.", dir)
	}
	return n, tw.Close()
}

// exportKey writes the key file name of the key directory dir to tw.
func exportKey(tw *tar.Writer, dir, name string, now time.Time) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if len(b) > maxKeyFile {
		return fmt.Errorf("key file %s is larger than %d bytes", name, maxKeyFile)
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(b)), Mode: 0o600, ModTime: now.UTC().Truncate(time.Second)}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = tw.Write(b)
	return err
}

// ImportKeys writes the files of a key export read from r into the key
// directory dir, which must not exist (made mode 0700, files 0600), and
// returns how many it wrote.
func ImportKeys(r io.Reader, dir string) (int, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return 0, err
	}
	tr := tar.NewReader(r)
	n := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("key export: %w", err)
		}
		if err := importKey(tr, hdr, dir); err != nil {
			return n, fmt.Errorf("key export: %w", err)
		}
		n++
	}
	if n == 0 {
		return 0, errors.New("key export: no key")
	}
	return n, atomicfile.SyncDir(dir)
}

// importKey writes the entry hdr of a key export, read from tr, into the
// key directory dir: a regular file with a key file's name and size.
func importKey(tr *tar.Reader, hdr *tar.Header, dir string) error {
	if hdr.Typeflag != tar.TypeReg || !keyName.MatchString(hdr.Name) || hdr.Size > maxKeyFile {
		return fmt.Errorf("unexpected entry %q", hdr.Name)
	}
	return writeFile(filepath.Join(dir, hdr.Name), tr)
}
