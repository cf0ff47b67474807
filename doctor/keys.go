package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"navette/app"
	"navette/postgres"
	"navette/sqlite"
)

// keyKind is one kind of key file in the key directory.
type keyKind struct {
	name   string // the check's name
	what   string // what the key is, for explanations
	suffix string // its files' suffix
	prefix string // its files' prefix
	active string // the file naming the active key
	// file returns the name of the active key's file.
	file func(active string) string
}

var keyKinds = []keyKind{
	{name: "kek", what: "key-encryption key", suffix: ".key", active: "active",
		file: func(id string) string { return id + ".key" }},
	{name: "mac key", what: "MAC key of sign-in codes", suffix: ".hmac", active: "hmac-active",
		file: func(id string) string { return id + ".hmac" }},
	{name: "journal key", what: "journal signing key", prefix: "journal-", suffix: ".ed25519", active: "journal-active",
		file: func(h string) string { return "journal-" + h + ".ed25519" }},
}

// keys checks the key directory and each kind of key in it.
func (d *doctor) keys() []Check {
	dir := filepath.Join(d.cfg.DataDir, "keys")
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []Check{d.missing("key directory", "%s does not exist: navette serve creates it, with every key, at its first start", dir)}
	}
	if err != nil {
		return []Check{fail("key directory", "%s: %s", dir, message(err))}
	}
	checks := []Check{keyDirCheck(dir, fi)}
	if !fi.IsDir() {
		return checks
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return append(checks, fail("key files", "%s: %s", dir, message(err)))
	}
	if bad := strayProblems(dir, entries); len(bad) > 0 && checks[0].Status == OK {
		checks[0] = fail("key directory", "%s", strings.Join(bad, "; "))
	}
	for _, k := range keyKinds {
		checks = append(checks, d.keyKind(dir, k, entries))
	}
	return checks
}

// keyDirCheck checks the key directory itself, fi: a directory, closed to
// group and others, owned by the running user.
func keyDirCheck(dir string, fi os.FileInfo) Check {
	switch {
	case !fi.IsDir():
		return fail("key directory", "%s is not a directory", dir)
	case groupOrOthers(fi):
		return fail("key directory", "%s has mode %04o, open to group or others: chmod 700 %s", dir, fi.Mode().Perm(), dir)
	case owner(fi) != os.Geteuid():
		return fail("key directory", "%s is owned by uid %d, not by uid %d running doctor: run doctor as the user navette runs as", dir, owner(fi), os.Geteuid())
	}
	return ok("key directory", "%s, mode %04o, owned by uid %d", dir, fi.Mode().Perm(), owner(fi))
}

// strayProblems says what is wrong with each file of the key directory
// that holds no kind of key.
func strayProblems(dir string, entries []os.DirEntry) []string {
	var bad []string
	for _, e := range entries {
		if kindOf(e.Name()) == nil {
			if p := fileProblem(filepath.Join(dir, e.Name())); p != "" {
				bad = append(bad, p)
			}
		}
	}
	return bad
}

// kindOf returns the kind of key a file of the key directory holds, or
// nil for another file (a journal verifier key, a temporary file).
func kindOf(name string) *keyKind {
	for i, k := range keyKinds {
		if k.owns(name) {
			return &keyKinds[i]
		}
	}
	return nil
}

// owns reports whether a file of the key directory is of kind k.
func (k keyKind) owns(name string) bool {
	return name == k.active || (strings.HasPrefix(name, k.prefix) && strings.HasSuffix(name, k.suffix))
}

// keyKind checks the files of one kind of key: the active one named and
// present, each file (the active file included) mode 0600 and owned by the
// running user.
func (d *doctor) keyKind(dir string, k keyKind, entries []os.DirEntry) Check {
	files, bad := k.files(dir, entries)
	if len(bad) > 0 {
		sort.Strings(bad)
		return fail(k.name, "%s", strings.Join(bad, "; "))
	}
	b, err := os.ReadFile(filepath.Join(dir, k.active))
	if err != nil {
		return fail(k.name, "no active %s (%s): navette serve makes one at its first start", k.what, message(err))
	}
	id, valid := activeID(b)
	if !valid {
		return fail(k.name, "%s is malformed: want the active key's id and a newline", filepath.Join(dir, k.active))
	}
	if _, err := os.Stat(filepath.Join(dir, k.file(id))); err != nil {
		return fail(k.name, "%s names %s, whose file %s is missing", filepath.Join(dir, k.active), id, k.file(id))
	}
	n := len(files) - 1
	detail := fmt.Sprintf("active %s %s", k.what, id)
	if k.name == "journal key" {
		return d.journalKey(dir, k, id, files)
	}
	return ok(k.name, "%s (%d in all); files mode 0600, owned by uid %d running doctor", detail, n, os.Geteuid())
}

// journalKey checks the journal's signing keys, whose files are files and
// whose active key is id: a signer key other than the active one (a
// retired key kept, or copied from another node) can still sign
// checkpoints that verifiers accept, up to its retirement's tree size; an
// active key named for another origin than the configuration's makes
// serve refuse to start once the journal has checkpoints (a failure, in
// serve's words), and replace the key before (which the detail says).
func (d *doctor) journalKey(dir string, k keyKind, id string, files []string) Check {
	var stray []string
	for _, f := range files {
		if f != k.active && f != k.file(id) {
			stray = append(stray, filepath.Join(dir, f))
		}
	}
	if len(stray) > 0 {
		return fail(k.name, "%s: signing keys other than the active one (%s), which could still sign checkpoints that verifiers accept: delete them (their .pub files keep verifying what they signed)",
			strings.Join(stray, ", "), k.file(id))
	}
	detail := fmt.Sprintf("active %s %s", k.what, id)
	name := journalName(filepath.Join(dir, k.file(id)))
	if name != "" {
		detail += " for " + name
	}
	if want := app.JournalName(d.cfg); want != "" && name != "" && want != name {
		signed, err := d.checkpointed()
		switch {
		case err == nil && signed:
			return fail(k.name, "%s", message(app.JournalOriginRefusal(d.cfg, name)))
		case err == nil:
			detail += fmt.Sprintf(", but the configuration names the journal %s: the key has signed no checkpoint yet, so serve replaces it with a key named %s as it starts, journaled as a rotation", want, want)
		default:
			detail += fmt.Sprintf(", but the configuration names the journal %s: serve replaces the key if it has signed no checkpoint yet, and otherwise refuses to start (keep the name with --journal-origin %s, or rotate to the new one: navette admin journal key rotate --data %s --origin %s); whether it has could not be read (%s)",
				want, name, d.cfg.DataDir, want, message(err))
		}
	}
	return ok(k.name, "%s; files mode 0600, owned by uid %d running doctor", detail, os.Geteuid())
}

// checkpointed reports whether the journal of the configured database has
// a signed checkpoint, read without changing anything.
func (d *doctor) checkpointed() (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	url := d.dbURL()
	scheme, rest, _ := strings.Cut(url, ":")
	switch scheme {
	case "sqlite":
		return sqlite.Checkpointed(ctx, strings.TrimPrefix(rest, "//"))
	case "postgres", "postgresql":
		return postgres.Checkpointed(ctx, url)
	}
	return false, fmt.Errorf("unknown database scheme %q", scheme)
}

// files returns the files of kind k among the entries of the key
// directory dir, and what is wrong with each.
func (k keyKind) files(dir string, entries []os.DirEntry) (files, bad []string) {
	for _, e := range entries {
		n := e.Name()
		if k.owns(n) {
			files = append(files, n)
			if p := fileProblem(filepath.Join(dir, n)); p != "" {
				bad = append(bad, p)
			}
		}
	}
	return files, bad
}

// activeID returns the key id a file naming the active key holds (the id
// and a newline), and whether it is well formed.
func activeID(b []byte) (string, bool) {
	id, found := strings.CutSuffix(string(b), "\n")
	return id, found && id != "" && !strings.ContainsAny(id, "/\n")
}

// fileProblem says what is wrong with a key file, or "".
func fileProblem(path string) string {
	fi, err := os.Lstat(path)
	switch {
	case err != nil:
		return message(err)
	case !fi.Mode().IsRegular():
		return path + " is not a regular file"
	case groupOrOthers(fi):
		return fmt.Sprintf("%s has mode %04o, open to group or others: chmod 600 %s", path, fi.Mode().Perm(), path)
	case owner(fi) != os.Geteuid():
		return fmt.Sprintf("%s is owned by uid %d, not by uid %d running doctor: run doctor as the user navette runs as", path, owner(fi), os.Geteuid())
	}
	return ""
}

// journalName returns the journal origin a signer key file names
// (PRIVATE+KEY+<name>+<hash>+<key>), never the key itself.
func journalName(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	parts := strings.SplitN(strings.TrimSpace(string(b)), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return ""
	}
	return parts[2]
}
