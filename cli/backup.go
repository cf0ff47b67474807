package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"navette"
	"navette/backup"
)

// adminBackup writes an online snapshot of a data directory (SQLite
// metadata, local blobs, no keys) to a new file.
func adminBackup(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin backup", "--data DIR --out FILE[.gz]\n\nWrites a snapshot of the data directory (its SQLite metadata and local\nblobs, never its keys) to a new file, while the server may run; export the\nkeys apart with \"admin key export\".")
	data := fs.String("data", "", "data directory (SQLite metadata and local blobs); the server may run")
	out := fs.String("out", "", "the backup file to create (gzip-compressed if it ends in .gz or .tgz); keys are not in it: see admin key export")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "data", "out"); err != nil {
		return err
	}
	compress := strings.HasSuffix(*out, ".gz") || strings.HasSuffix(*out, ".tgz")
	m, err := backup.Create(ctx, *data, *out, compress, navette.SystemClock{}.Now())
	if err != nil {
		return err
	}
	n, bytes := m.Blobs()
	fmt.Fprintf(env.Stdout, "backup %s: schema %d, journal %d leaves, root %s, %d blobs (%d bytes)\n", *out, m.Schema, m.Journal.Size, m.Journal.Root, n, bytes)
	fmt.Fprintln(env.Stderr, "the keys are not in the backup: export them with \"navette admin key export\" to another medium")
	return nil
}

// adminRestore restores a backup, and keys exported apart, into an empty
// directory, and verifies it.
func adminRestore(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin restore", "--data NEWDIR --from FILE [--keys FILE]\n\nRestores a backup made by \"admin backup\", with the keys exported by \"admin\nkey export\", into an empty or absent directory, then verifies it: every\nblob's hash and the whole journal.")
	data := fs.String("data", "", "the data directory to restore into: empty or absent")
	from := fs.String("from", "", "the backup file (admin backup)")
	keys := fs.String("keys", "", "the keys exported apart (admin key export); without them the files cannot be opened")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "data", "from"); err != nil {
		return err
	}
	f, err := os.Open(*from)
	if err != nil {
		return err
	}
	defer f.Close()
	kr, closeKeys, err := openKeys(*keys)
	if err != nil {
		return err
	}
	defer closeKeys()
	res, err := backup.Restore(ctx, f, *data, kr)
	if err != nil {
		return err
	}
	printRestored(env, *from, *data, res)
	return nil
}

// openKeys opens the file of keys exported apart that --keys names, to be
// closed with closeKeys; with none named, there are no keys to read.
func openKeys(path string) (keys io.Reader, closeKeys func(), err error) {
	if path == "" {
		return nil, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// printRestored reports the restore of the backup file from into the
// directory data, and warns if it had no keys.
func printRestored(env *Env, from, data string, res *backup.Restored) {
	n, bytes := res.Manifest.Blobs()
	fmt.Fprintf(env.Stdout, "restored %s into %s: backup of %s (Paris time), schema %d, %d blobs (%d bytes), %d key files\n",
		filepath.Base(from), data, parisSecond(res.Manifest.CreatedAt), res.Manifest.Schema, n, bytes, res.Keys)
	fmt.Fprintf(env.Stdout, "journal intact: %d events, tree %d leaves, root %s\n", res.Journal.Events, res.Manifest.Journal.Size, res.Manifest.Journal.Root)
	if res.Keys == 0 {
		fmt.Fprintln(env.Stderr, "no keys restored: the files and references cannot be opened until the keys exported with the backup are in DIR/keys")
	}
}

// exportKeys writes the key directory of the data directory data to the
// new file out, mode 0600, and returns how many key files it holds; on
// failure, out is removed.
func exportKeys(data, out string) (int, error) {
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := backup.ExportKeys(filepath.Join(data, "keys"), f, navette.SystemClock{}.Now())
	if err := syncClose(f, err); err != nil {
		os.Remove(out)
		return 0, err
	}
	return n, nil
}

// syncClose ends the writing of f, which failed with err if not nil: it
// makes f durable if it did not fail, closes it, and returns the first
// error.
func syncClose(f *os.File, err error) error {
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// adminKeyExport writes the key directory to a new file, mode 0600.
func adminKeyExport(_ context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin key export", "--data DIR --out FILE\n\nWrites the key directory of the data directory to a new file, mode 0600, to\nbe kept on another medium than the backups it opens.")
	data := fs.String("data", "", "data directory")
	out := fs.String("out", "", "the file to create, mode 0600, to keep on another medium than the backups")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "data", "out"); err != nil {
		return err
	}
	n, err := exportKeys(*data, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%d key files exported to %s: keep it apart from the backups, which it opens\n", n, *out)
	return nil
}
