package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"navette"
	"navette/api"
	"navette/atomicfile"
	"navette/client"
)

// sendState is what navette send or reply keeps while a deposit is under
// way, in a file of the user's cache directory (mode 0600), so that the
// same command run again after an interrupt, a crash or a closed laptop
// goes on with the same deposit instead of sending another: the deposit,
// each file's upload and what the file was. The file is locked while a run
// uses it, and removed once the deposit is sent.
type sendState struct {
	Deposit string     `json:"deposit,omitempty"`
	Files   []sentFile `json:"files,omitempty"`
	// Submitting is set before the deposit is submitted: from then on it
	// may have reached its recipients, and a new one would be a second.
	Submitting bool `json:"submitting,omitempty"`
	// Key is the idempotency key of the deposit's creation, kept before
	// the request goes: a run whose creation's answer was lost makes it
	// again with the key, and gets the draft the server made.
	Key string `json:"idempotency_key,omitempty"`

	env  *Env
	kind sendKind
	path string   // "" when nothing is kept (no cache directory)
	lock *os.File // held while the command runs
}

// sentFile is a file of a deposit under way, as it was when its upload
// started.
type sentFile struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	// Upload is the URL of the file's upload, once created.
	Upload string `json:"upload,omitempty"`
}

// sendKind is a command that sends a deposit and resumes it: send, or
// reply.
type sendKind struct {
	cmd  string // the command's name
	busy error  // the failure of a run while another holds the state
}

var (
	sendingDeposit = sendKind{"send", errSendBusy}
	sendingReply   = sendKind{"reply", errReplyBusy}
)

// sendKey names the state of a send: a digest of the server, the token
// (the account), what creates the deposit (what it says and to whom; for
// a reply, the deposit answered and the reply), and the files' paths.
// The files' sizes and times are in the state, so that a changed file is
// told rather than missed.
func sendKey(server, token string, in any, files []localFile) string {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.abs
	}
	h := sha256.New()
	_ = json.NewEncoder(h).Encode(struct {
		Server, Token string
		Deposit       any
		Paths         []string
	}{server, token, in, paths})
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// sendStateDir returns the directory of the send states.
func sendStateDir(env *Env) (string, error) {
	cache := os.UserCacheDir
	if env.CacheDir != nil {
		cache = env.CacheDir
	}
	dir, err := cache()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "navette", "send"), nil
}

// openSendState opens and locks the state of the command kind named key,
// empty if there is none. Without a cache directory the send goes on, said
// to be unresumable. Another run holding the state is kind's busy error:
// two runs of one send would send it twice.
func openSendState(env *Env, kind sendKind, key string) (*sendState, error) {
	st := &sendState{env: env, kind: kind}
	dir, err := sendStateDir(env)
	if err == nil {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		st.warn(err)
		return st, nil
	}
	if st.lock, err = openStateLock(filepath.Join(dir, key+".lock")); errors.Is(err, errStateBusy) {
		return nil, kind.busy
	} else if err != nil {
		st.warn(err)
		return st, nil
	}
	st.path = filepath.Join(dir, key+".json")
	b, err := os.ReadFile(st.path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err == nil {
		err = json.Unmarshal(b, st)
	}
	if err != nil {
		st.close()
		return nil, fmt.Errorf("the state of an interrupted %s, %s, cannot be read (%v): remove it to send anew", kind.cmd, st.path, err)
	}
	return st, nil
}

// errSendBusy and errReplyBusy are the failures of a send and of a reply
// whose state another run holds (errStateBusy).
var (
	errSendBusy  = errors.New("another navette send of these files to these recipients is running; let it end, then run the command again if need be")
	errReplyBusy = errors.New("another navette reply with these files to this deposit is running; let it end, then run the command again if need be")
	errStateBusy = errors.New("the state is held by another run")
)

// openStateLock opens and locks the lock file at path. A run that ended
// between the open and the lock removed the file: it is opened again.
func openStateLock(path string) (*os.File, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		stale, err := holdState(f, path)
		if err == nil && !stale {
			return f, nil
		}
		f.Close()
		if err != nil {
			return nil, err
		}
	}
}

// holdState locks the state's lock file f, opened at path, and reports
// whether path no longer names it (stale): a run that ended in between
// removed it. Another run holding it is errStateBusy.
func holdState(f *os.File, path string) (stale bool, err error) {
	busy, err := lockPart(f)
	if err != nil {
		return false, err
	}
	if busy {
		return false, errStateBusy
	}
	held, err := f.Stat()
	if err != nil {
		return false, err
	}
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	return err == nil && !os.SameFile(held, st), err
}

// warn says that the send cannot be resumed if interrupted, and why.
func (st *sendState) warn(err error) {
	fmt.Fprintf(st.env.Stderr, "navette %s: warning: an interrupted %[1]s will not resume: %s\n", st.kind.cmd, oneLine(pathErrorCause(err)))
}

// kept reports whether the state is kept on disk.
func (st *sendState) kept() bool { return st != nil && st.path != "" }

// save writes the state. Failing, it warns and keeps nothing from then on:
// the send goes on.
func (st *sendState) save() {
	if !st.kept() {
		return
	}
	b, err := json.Marshal(st)
	if err == nil {
		err = atomicfile.Write(filepath.Dir(st.path), filepath.Base(st.path), ".state-*", b)
	}
	if err != nil {
		st.warn(err)
		os.Remove(st.path)
		st.path = ""
	}
}

// start records the new draft id, to which files are to be sent.
func (st *sendState) start(id string, files []localFile) {
	st.Deposit, st.Submitting = id, false
	st.Files = make([]sentFile, len(files))
	for i, f := range files {
		st.Files[i] = sentFile{Path: f.abs, Size: f.size, ModTime: f.mtime}
	}
	st.save()
}

// creationKey returns the idempotency key of the deposit's creation, made
// and saved if there is none yet.
func (st *sendState) creationKey() string {
	if st.Key == "" {
		st.Key = client.NewIdempotencyKey()
		st.save()
	}
	return st.Key
}

// reset forgets the deposit: a new one is to be sent.
func (st *sendState) reset() {
	st.Deposit, st.Files, st.Submitting, st.Key = "", nil, false, ""
	if st.kept() {
		os.Remove(st.path)
	}
}

// created records the upload URL of file i.
func (st *sendState) created(i int, uploadURL string) {
	if st != nil && i < len(st.Files) {
		st.Files[i].Upload = uploadURL
		st.save()
	}
}

// upload returns the URL of file i's upload, "" if it is not created.
func (st *sendState) upload(i int) string {
	if st == nil || i >= len(st.Files) {
		return ""
	}
	return st.Files[i].Upload
}

// submitting records that the deposit is about to be submitted.
func (st *sendState) submitting() {
	if st != nil {
		st.Submitting = true
		st.save()
	}
}

// end removes the state once the deposit is sent, or cannot be resumed.
func (st *sendState) end() {
	if st != nil {
		st.reset()
	}
}

// close removes the lock file if the state is gone, and releases it.
func (st *sendState) close() {
	if st == nil || st.lock == nil {
		return
	}
	if st.Deposit == "" {
		os.Remove(st.lock.Name())
	}
	st.lock.Close()
}

// keeps reports whether the deposit a send left on err is worth resuming:
// the state is kept, and the failure err (nil: none) was an interrupt, the network, or the
// server unavailable for now.
func (st *sendState) keeps(ctx context.Context, err error) bool {
	if err == nil || !st.kept() || st.Deposit == "" {
		return false
	}
	return unsettled(ctx, err)
}

// unsettled reports whether what failed with err may yet succeed if the
// command is run again: it was interrupted, or the network or the server
// failed for now.
func unsettled(ctx context.Context, err error) bool {
	var e *navette.Error
	return ctx.Err() != nil || !errors.As(err, &e) || e.Code == navette.EUNAVAILABLE
}

// changedFile returns the path of a file that is not what it was when the
// state was saved, or "".
func (st *sendState) changedFile(files []localFile) string {
	if len(st.Files) != len(files) {
		return files[0].path
	}
	for i, f := range files {
		if s := st.Files[i]; s.Path != f.abs || s.Size != f.size || !s.ModTime.Equal(f.mtime) {
			return f.path
		}
	}
	return ""
}

// say writes one line of news about the send on stderr.
func (st *sendState) say(format string, args ...any) {
	fmt.Fprintf(st.env.Stderr, "navette "+st.kind.cmd+": "+format+"\n", args...)
}

// resumeDeposit looks at the deposit an interrupted run of the same send
// left in st. It returns the id of the draft to go on with, its uploads
// checked; or the deposit, if it was submitted already; or neither, st
// reset, when a new deposit is to be sent, which it says. It never lets a
// new deposit follow one that may have been sent.
func resumeDeposit(ctx context.Context, env *Env, c *client.Client, st *sendState, files []localFile) (string, *api.Deposit, error) {
	if st.Deposit == "" {
		return "", nil, nil
	}
	d, err := c.Deposit(ctx, st.Deposit)
	switch {
	case navette.IsCode(err, navette.ENOTFOUND), navette.IsCode(err, navette.EGONE):
		return "", nil, st.lost(st.Deposit, "is no longer on the server", st.Submitting)
	case err != nil:
		return "", nil, err
	case d.State != string(navette.DepositDraft):
		return submittedBefore(ctx, env, c, st, d)
	}
	if p := st.changedFile(files); p != "" {
		st.say("%s changed since the interrupted %s: its draft %s is discarded and a new deposit sent", printable(p, 200), st.kind.cmd, d.ID)
		_ = c.Revoke(ctx, d.ID) // else the server deletes it in a day
		st.reset()
		return "", nil, nil
	}
	sent, err := matchUploads(ctx, c, st, d)
	if err != nil {
		return "", nil, err
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	st.say("resuming deposit %s: %s of %s already sent", d.ID, humanSize(sent), humanSize(total))
	return d.ID, nil, nil
}

// lost handles a deposit an interrupted run left that is no longer a
// draft, and not sent, or is gone (why says how): a new deposit is sent
// unless the old one was submitted, or may have been, and so may have
// reached its recipients.
func (st *sendState) lost(id, why string, submitted bool) error {
	if submitted {
		st.end()
		return fmt.Errorf("deposit %s, left by an interrupted run of this command, may have reached its recipients and %s: nothing is sent; run the command again to send the files anew", id, why)
	}
	st.say("the draft %s an interrupted %s left %s: sending a new deposit", id, st.kind.cmd, why)
	st.reset()
	return nil
}

// submittedBefore handles d, the deposit an interrupted run left, found no
// longer a draft: submitted, it is the deposit sent (once checked);
// discarded, withdrawn or expired, it is lost.
func submittedBefore(ctx context.Context, env *Env, c *client.Client, st *sendState, d *api.Deposit) (string, *api.Deposit, error) {
	switch navette.DepositState(d.State) {
	case navette.DepositChecking:
		st.say("deposit %s was submitted by the interrupted %s", d.ID, st.kind.cmd)
		d, err := waitChecked(ctx, env, c, st.kind.cmd, d)
		return "", d, err
	case navette.DepositAvailable:
		st.say("deposit %s was sent by the interrupted %s", d.ID, st.kind.cmd)
		return "", d, nil
	}
	submitted := st.Submitting || d.SubmittedAt != nil
	if d.State == string(navette.DepositRevoked) {
		return "", nil, st.lost(d.ID, "was withdrawn", submitted)
	}
	return "", nil, st.lost(d.ID, "is "+printable(d.State, 20), submitted)
}

// matchUploads checks the draft d against the uploads of st: a file of d
// that st does not know (created by a run killed before it could record
// it) is removed, so that no file is there twice; an upload of st that d
// lacks is forgotten, to be created again. It returns how many bytes of
// the files the server holds.
func matchUploads(ctx context.Context, c *client.Client, st *sendState, d *api.Deposit) (int64, error) {
	unknown := map[string]bool{}
	for _, f := range d.Files {
		unknown[f.ID] = true
	}
	var sent int64
	for i, f := range st.Files {
		id := path.Base(f.Upload)
		if f.Upload == "" || !unknown[id] {
			st.Files[i].Upload = ""
			continue
		}
		delete(unknown, id)
		off, err := c.UploadOffset(ctx, f.Upload, f.Size)
		if err != nil {
			return 0, err
		}
		sent += off
	}
	for id := range unknown {
		if err := c.DeleteUpload(ctx, api.PathUploads+id); err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
			return 0, err
		}
	}
	st.save()
	return sent, nil
}
