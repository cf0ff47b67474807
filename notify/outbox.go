package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"navette"
	"navette/atomicfile"
	"navette/seal"
)

// Outbox is the Mailer used when no mail server is configured: it keeps
// each message in a file of a local directory (DATA/mail), sealed with a
// key of its own wrapped by the key-encryption key, so that the demo and a
// pilot without SMTP can read what would have been sent ("navette mail ls",
// "navette mail show", /dev/mail). A message sent twice (a retry after a
// crash) replaces its file: the outbox holds each notice once. Messages
// older than MaxAge are removed. Its methods are safe for concurrent use.
type Outbox struct {
	dir  string
	keys navette.KeyWrapper
	// MaxAge is how long messages are kept (30 days, the retention ceiling,
	// when zero).
	MaxAge time.Duration

	mu        sync.Mutex
	lastPrune time.Time
}

// outboxSuffix ends the name of every message file.
const outboxSuffix = ".mail"

// outboxFile is the content of a message file.
type outboxFile struct {
	Version int    `json:"v"`
	KeyID   string `json:"key_id"`
	Key     []byte `json:"key"`
	Sealed  []byte `json:"sealed"`
}

// NewOutbox returns the outbox in dir, which the first message creates
// with mode 0700.
func NewOutbox(dir string, keys navette.KeyWrapper) *Outbox {
	return &Outbox{dir: dir, keys: keys}
}

// Dir returns the outbox's directory.
func (o *Outbox) Dir() string { return o.dir }

// Send writes m to the outbox, durably, replacing an earlier copy of the
// same notice. Returns EINVALID for a message without a valid notice id.
func (o *Outbox) Send(ctx context.Context, m *Message) error {
	if !navette.ValidID(m.NoticeID) {
		return navette.Errorf(navette.EINVALID, "A message of the outbox needs its notice's id.")
	}
	plain, err := json.Marshal(m)
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "")
	}
	raw := seal.GenerateKey()
	k, err := seal.NewKey(raw)
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "")
	}
	w, err := o.keys.Wrap(raw, "mail:"+m.NoticeID)
	if err != nil {
		return err
	}
	data, err := json.Marshal(outboxFile{Version: 1, KeyID: w.KeyID, Key: w.Data, Sealed: k.SealValue("mail", m.NoticeID, plain)})
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "")
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return navette.WrapError(navette.EUNAVAILABLE, err, "The mail outbox cannot be created.")
	}
	if err := atomicfile.Write(o.dir, m.NoticeID+outboxSuffix, outboxTemp+"*", data); err != nil {
		return navette.WrapError(navette.EUNAVAILABLE, err, "The mail outbox cannot be written.")
	}
	o.prune()
	return nil
}

// List returns up to limit messages, the most recently written first,
// leaving out those that cannot be opened for want of their
// key-encryption key (Browse names them).
func (o *Outbox) List(limit int) ([]*Message, error) {
	ms, _, err := o.Browse(limit)
	return ms, err
}

// Browse is List, and also returns the ids of the messages among the
// limit newest that cannot be opened because the key ring lacks their
// key-encryption key (retired before the outbox was re-wrapped, or not
// copied to this node): one such message does not hide the others.
func (o *Outbox) Browse(limit int) (ms []*Message, unreadable []string, err error) {
	files, err := o.files()
	if err != nil {
		return nil, nil, err
	}
	if limit > 0 && len(files) > limit {
		files = files[:limit]
	}
	ms = make([]*Message, 0, len(files))
	for _, f := range files {
		m, err := o.Get(f.id)
		switch {
		case navette.IsCode(err, navette.ENOTFOUND):
			continue // pruned meanwhile
		case navette.IsCode(err, navette.EUNAVAILABLE):
			unreadable = append(unreadable, f.id)
			continue
		case err != nil:
			return nil, nil, err
		}
		ms = append(ms, m)
	}
	return ms, unreadable, nil
}

// outboxEntry is a message file of the outbox: its notice's id and when it
// was written.
type outboxEntry struct {
	id  string
	mod time.Time
}

// files returns the message files of the outbox, the most recently written
// first; none if nothing was sent yet.
func (o *Outbox) files() ([]outboxEntry, error) {
	entries, err := os.ReadDir(o.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // nothing sent yet
	} else if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "Cannot read the mail outbox %s.", o.dir)
	}
	var files []outboxEntry
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), outboxSuffix)
		if !ok || !navette.ValidID(id) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		files = append(files, outboxEntry{id, fi.ModTime()})
	}
	slices.SortFunc(files, func(a, b outboxEntry) int {
		if c := b.mod.Compare(a.mod); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return files, nil
}

// Get returns the message of notice id. Returns ENOTFOUND if the outbox
// has none, EINTERNAL if its file does not open.
func (o *Outbox) Get(id string) (*Message, error) {
	notFound := navette.Errorf(navette.ENOTFOUND, "No message %q in the outbox.", id)
	if !navette.ValidID(id) {
		return nil, notFound
	}
	data, err := os.ReadFile(filepath.Join(o.dir, id+outboxSuffix))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound
	} else if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return o.open(id, data)
}

// open returns the message that data, the content of notice id's file,
// seals.
func (o *Outbox) open(id string, data []byte) (*Message, error) {
	var f outboxFile
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		return nil, navette.WrapError(navette.EINTERNAL, fmt.Errorf("outbox: %s: malformed (%v)", id, err), "")
	}
	raw, err := o.keys.Unwrap(navette.WrappedKey{KeyID: f.KeyID, Data: f.Key}, "mail:"+id)
	if err != nil {
		return nil, err
	}
	k, err := seal.NewKey(raw)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	plain, err := k.OpenValue("mail", id, f.Sealed)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, fmt.Errorf("outbox: %s: %w", id, err), "")
	}
	var m Message
	if err := json.Unmarshal(plain, &m); err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return &m, nil
}

// KeyIDs returns how many messages each key-encryption key wraps the key
// of, so that a key-encryption key is not retired while the outbox needs
// it. A file that does not parse is not counted.
func (o *Outbox) KeyIDs() (map[string]int, error) {
	files, err := o.files()
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, e := range files {
		if f, err := o.read(e.id); err == nil {
			n[f.KeyID]++
		}
	}
	return n, nil
}

// Rewrap re-wraps the key of every message with rewrap (the key ring's
// Rewrap: under the active key-encryption key, for the same associated
// data), rewriting the files whose key it changed. It returns how many it
// rewrote and how many it could not (a key-encryption key missing, a
// file malformed), which stay as they are; err only if the outbox cannot
// be read or written.
func (o *Outbox) Rewrap(rewrap func(w navette.WrappedKey, ad string) (navette.WrappedKey, error)) (done, failed int, err error) {
	files, err := o.files()
	if err != nil {
		return 0, 0, err
	}
	for _, e := range files {
		f, err := o.read(e.id)
		if errors.Is(err, fs.ErrNotExist) {
			continue // pruned meanwhile
		} else if err != nil {
			failed++
			continue
		}
		to, err := rewrap(navette.WrappedKey{KeyID: f.KeyID, Data: f.Key}, "mail:"+e.id)
		if err != nil {
			failed++
			continue
		}
		if to.KeyID == f.KeyID {
			continue
		}
		f.KeyID, f.Key = to.KeyID, to.Data
		data, err := json.Marshal(f)
		if err != nil {
			return done, failed, navette.WrapError(navette.EINTERNAL, err, "")
		}
		if err := atomicfile.Write(o.dir, e.id+outboxSuffix, outboxTemp+"*", data); err != nil {
			return done, failed, navette.WrapError(navette.EUNAVAILABLE, err, "The mail outbox cannot be written.")
		}
		done++
	}
	return done, failed, nil
}

// read returns the parsed file of notice id's message.
func (o *Outbox) read(id string) (*outboxFile, error) {
	data, err := os.ReadFile(filepath.Join(o.dir, id+outboxSuffix))
	if err != nil {
		return nil, err
	}
	var f outboxFile
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		return nil, fmt.Errorf("outbox: %s: malformed (%v)", id, err)
	}
	return &f, nil
}

// prune prunes the outbox (Prune) at most once an hour.
func (o *Outbox) prune() {
	o.mu.Lock()
	now := time.Now()
	if now.Sub(o.lastPrune) < time.Hour {
		o.mu.Unlock()
		return
	}
	o.lastPrune = now
	o.mu.Unlock()
	o.Prune()
}

// Prune removes the messages older than MaxAge. Send does it too, but a
// platform that sends nothing more must still see them go: the sweeper
// calls it.
func (o *Outbox) Prune() {
	maxAge := o.MaxAge
	if maxAge <= 0 {
		maxAge = time.Duration(navette.DefaultLimits.MaxRetentionDays) * 24 * time.Hour
	}
	removeOlder(o.dir, time.Now().Add(-maxAge))
}

// removeOlder removes the message files of dir last written before
// cutoff.
func removeOlder(dir string, cutoff time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), outboxSuffix) {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// outboxTemp starts the name of the temporary file of a message being
// written.
const outboxTemp = ".tmp-"

// RemoveTemp removes the temporary files that writers killed before their
// rename left in the outbox (a crash, kill -9): nothing else would. Call it
// only while nothing writes to the outbox, as the server starts, before it
// delivers notices.
func (o *Outbox) RemoveTemp() error {
	entries, err := os.ReadDir(o.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), outboxTemp) && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(o.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
