package navette

import (
	"context"
	"io"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// MetaStore keeps navette's metadata: users, tokens, deposits, files and the
// event journal. Implementations (SQLite, PostgreSQL) must behave exactly
// alike; the suite in package storetest checks that. Each method is atomic:
// the events passed to or returned by a method are appended in the same
// transaction as the change they describe. Times are kept to the microsecond.
//
// MetaStore is the sum of the role interfaces below, one per kind of
// record; each service asks only for the roles it uses, so that a fake in a
// test implements only those. Each method's comment states the errors it
// returns; any method may also return EUNAVAILABLE when the store cannot be
// reached. The optional roles KeyStore, DeliveryStore, EvidenceStore and
// StatsStore are implemented by the SQL stores besides.
type MetaStore interface {
	JournalStore
	UserStore
	TokenStore
	SessionStore
	CourtStore
	MailboxStore
	DepositStore
	FileStore
	OutboxStore
	SettingsStore

	// Ping checks that the store can be reached. Returns EUNAVAILABLE if
	// not.
	Ping(ctx context.Context) error

	// Close releases the store.
	Close() error
}

// UserStore keeps the people and service mailboxes who use navette, with
// what a directory says of them.
type UserStore interface {
	// CreateUser adds u. Returns ECONFLICT if a user with the same id or
	// e-mail exists.
	CreateUser(ctx context.Context, u *User, events ...Event) error

	// User returns the user with the given id. Returns ENOTFOUND if none.
	User(ctx context.Context, id string) (*User, error)

	// UserByEmail returns the user with the given normalized e-mail.
	// Returns ENOTFOUND if none.
	UserByEmail(ctx context.Context, email string) (*User, error)

	// UsersByEmails returns the users holding any of the given normalized
	// e-mails, in no particular order: one lookup for a whole directory's
	// new addresses. E-mails that no user holds are left out.
	UsersByEmails(ctx context.Context, emails []string) ([]*User, error)

	// UpdateUser loads the user, locks it, and calls fn. If fn returns no
	// error, its changes to the user (e-mail, name, role, disabled, language,
	// kind, organisation, court, directory status, revocation time, TOTP
	// secret and step, updated time) are written with the events fn returns;
	// a user who becomes disabled loses every session, and has every token
	// revoked (at its revocation time), in the same transaction, so that
	// restoring the user brings none back. If fn returns an error nothing is written and that error
	// is returned. Returns ENOTFOUND if there is no such user, ECONFLICT if
	// the new e-mail is another user's.
	UpdateUser(ctx context.Context, id string, fn func(u *User) ([]Event, error)) error

	// UsersBySource returns every user of the directory source, disabled
	// ones included, in no particular order.
	UsersBySource(ctx context.Context, source string) ([]*User, error)

	// SaveUsers creates the users of create and rewrites the fields of the
	// users of update (found by id) that a directory gives, leaving their
	// second factor and identity provider subject as stored, all in one
	// transaction with events: a directory sync is applied whole or not at
	// all. Users who become disabled lose their sessions and tokens in it. Returns
	// ECONFLICT, naming the e-mail or external id, if a created user's id,
	// e-mail or (source, external id) exists or an updated user's e-mail is
	// another's, and ENOTFOUND if an updated user does not exist; then
	// nothing is written.
	SaveUsers(ctx context.Context, create, update []*User, events ...Event) error

	// SearchUsers returns users matching f: with f.Text, ordered by name
	// then id; without, by id.
	SearchUsers(ctx context.Context, f UserFilter) ([]*User, error)
}

// TokenStore keeps API tokens, stored as the hashes of their secrets.
type TokenStore interface {
	// CreateToken adds t. Returns ECONFLICT if its id or hash exists, and
	// ENOTFOUND if its user does not exist.
	CreateToken(ctx context.Context, t *Token, events ...Event) error

	// TokenByHash returns the token whose secret hashes to hash, revoked or
	// expired ones included. Returns ENOTFOUND if none.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)

	// Tokens returns the user's tokens, revoked and expired ones included,
	// newest first.
	Tokens(ctx context.Context, userID string) ([]*Token, error)

	// RevokeToken revokes the token at the given time, with events.
	// Revoking a revoked token changes nothing and appends nothing.
	// Returns ENOTFOUND if there is no such token.
	RevokeToken(ctx context.Context, id string, at time.Time, events ...Event) error

	// TouchToken records that the token was used at at.
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// SessionStore keeps web sessions and the one-time codes e-mailed to sign
// in, stored as the hashes of their secrets.
type SessionStore interface {
	// CreateSession adds s, with events. Returns ECONFLICT if its id or hash
	// exists, ENOTFOUND if its user does not exist.
	CreateSession(ctx context.Context, s *Session, events ...Event) error

	// SessionByHash returns the session whose secret hashes to hash,
	// expired ones included. Returns ENOTFOUND if none.
	SessionByHash(ctx context.Context, hash []byte) (*Session, error)

	// UpdateSession loads the session, locks it, and calls fn; if fn
	// succeeds its changes to the session (stage, method, seen time,
	// expiry, pending state, verification time) are written with the
	// events fn returns.
	// Returns ENOTFOUND if there is no such session.
	UpdateSession(ctx context.Context, id string, fn func(s *Session) ([]Event, error)) error

	// DeleteSession ends the session, with events. Returns ENOTFOUND if
	// there is no such session.
	DeleteSession(ctx context.Context, id string, events ...Event) error

	// DeleteSessions ends every session of a user, with events, and
	// returns how many there were.
	DeleteSessions(ctx context.Context, userID string, events ...Event) (int, error)

	// Sessions returns the live sessions of a user, newest first: those
	// whose absolute expiry is after now and that were last seen (or, if
	// never, created) after idleSince, the ones DeleteStaleSessions keeps.
	// Their Hash and Pending are left empty: a listing never carries a
	// secret.
	Sessions(ctx context.Context, userID string, now, idleSince time.Time) ([]*Session, error)

	// DeleteStaleSessions removes sessions whose absolute expiry is at or
	// before now or that were last seen at or before idleSince, and returns
	// how many.
	DeleteStaleSessions(ctx context.Context, now, idleSince time.Time) (int, error)

	// CreateSignInCode adds c, with events (which carry its e-mail notice).
	// Returns ECONFLICT if its id exists, ENOTFOUND if its user does not
	// exist.
	CreateSignInCode(ctx context.Context, c *SignInCode, events ...Event) error

	// SignInCodes returns the user's codes created at or after since,
	// newest first.
	SignInCodes(ctx context.Context, userID string, since time.Time) ([]*SignInCode, error)

	// UpdateSignInCode loads the code, locks it, and calls fn; if fn
	// succeeds its changes (attempts, used time) are written with the
	// events fn returns; a wrong guess is recorded by returning no error and
	// telling the caller otherwise. Returns ENOTFOUND if there is no such
	// code.
	UpdateSignInCode(ctx context.Context, id string, fn func(c *SignInCode) ([]Event, error)) error

	// DeleteSignInCodes removes codes that expired at or before before, and
	// returns how many.
	DeleteSignInCodes(ctx context.Context, before time.Time) (int, error)
}

// CourtStore keeps the courts users belong to.
type CourtStore interface {
	// CreateCourt adds c. Returns ECONFLICT if its id or code exists.
	CreateCourt(ctx context.Context, c *Court, events ...Event) error

	// Court returns the court with the given id. Returns ENOTFOUND if none.
	Court(ctx context.Context, id string) (*Court, error)

	// CourtByCode returns the court with the given code. Returns ENOTFOUND
	// if none.
	CourtByCode(ctx context.Context, code string) (*Court, error)

	// Courts returns every court, by code.
	Courts(ctx context.Context) ([]*Court, error)
}

// MailboxStore keeps the members of service mailboxes.
type MailboxStore interface {
	// AddMember makes m.UserID a member of the service m.ServiceID, with
	// events. Returns ENOTFOUND if either user does not exist, EINVALID if
	// the service is not a user with RoleService, ECONFLICT if the
	// membership exists.
	AddMember(ctx context.Context, m *Member, events ...Event) error

	// RemoveMember ends a membership, with events. Returns ENOTFOUND if
	// there is no such membership.
	RemoveMember(ctx context.Context, serviceID, userID string, events ...Event) error

	// SetMembers makes userIDs the members of serviceID whose membership
	// comes from source, adding and removing only memberships of that
	// source, at the given time, with events. Returns ENOTFOUND if the
	// service or a user does not exist, EINVALID if the service is not a
	// user with RoleService.
	SetMembers(ctx context.Context, serviceID, source string, userIDs []string, at time.Time, events ...Event) error

	// Members returns the memberships of a service, oldest first.
	Members(ctx context.Context, serviceID string) ([]*Member, error)

	// Memberships returns the memberships of a user, oldest first.
	Memberships(ctx context.Context, userID string) ([]*Member, error)
}

// DepositStore keeps deposits with their recipients.
type DepositStore interface {
	// CreateDeposit adds d with its recipients. Returns ECONFLICT if its id
	// exists, or if it has an IdempotencyKey that another deposit of its
	// sender holds: a deposit holds its key until it is
	// IdempotencyKeyLifetime older than d, when d takes the key over.
	// Returns ENOTFOUND if the sender, a recipient or the mailbox it is
	// sent from (FromSpaceID) does not exist.
	CreateDeposit(ctx context.Context, d *DepositRecord, events ...Event) error

	// DepositByIdempotencyKey returns the deposit of senderID that holds
	// key (see CreateDeposit), with its recipients. Returns ENOTFOUND if
	// none does.
	DepositByIdempotencyKey(ctx context.Context, senderID, key string) (*DepositRecord, error)

	// Deposit returns the deposit with the given id, with its recipients.
	// Returns ENOTFOUND if none.
	Deposit(ctx context.Context, id string) (*DepositRecord, error)

	// DepositFor returns the deposit with the given id if userID sent it,
	// is one of its recipients, or is a member of a service that is one, or
	// is a member of the service it was sent from (FromSpaceID) and it is
	// not a draft, in one query so that a miss and a refusal cost the same. Returns
	// ENOTFOUND otherwise.
	DepositFor(ctx context.Context, id, userID string) (*DepositRecord, error)

	// ListDeposits returns deposits matching f, newest first.
	ListDeposits(ctx context.Context, f DepositFilter) ([]*DepositRecord, error)

	// UpdateDeposit loads the deposit and its files, locks them against
	// concurrent updates, and calls fn. If fn returns no error, the changes
	// fn made to the deposit (state, times, key, sealed fields, NotifySender, MaxDownloads,
	// recipients' first downloads and first openings) and to the files (state, key, name, resume, blob
	// deletion, checks) are written, together with the events fn returns. If fn
	// returns an error nothing is written and that error is returned.
	// Returns ENOTFOUND if there is no such deposit.
	UpdateDeposit(ctx context.Context, id string, fn func(d *DepositRecord, files []*FileRecord) ([]Event, error)) error

	// DueDeposits returns the ids of deposits that need the sweeper at now:
	// available ones whose expiry has passed, revoked or expired ones not yet
	// purged, and drafts created before abandonBefore. At most limit ids.
	DueDeposits(ctx context.Context, now, abandonBefore time.Time, limit int) ([]string, error)

	// DueReminders returns the ids of available deposits, not purged nor
	// yet reminded, that expire after now but within the given duration of
	// it, whose retention is longer than that duration (a deposit kept for
	// less time than the reminder delay gets no reminder: its notice
	// already told the expiry), and that have a recipient who has not
	// downloaded. The earliest expiry first; at most limit ids, which must be
	// positive.
	DueReminders(ctx context.Context, now time.Time, within time.Duration, limit int) ([]string, error)
}

// FileStore keeps the files of deposits.
type FileStore interface {
	// CreateFile adds f to its deposit, which must be a draft with fewer than
	// maxFiles files. Returns ENOTFOUND if the deposit does not exist,
	// ECONFLICT if it is not a draft, ETOOLARGE if it has maxFiles files.
	CreateFile(ctx context.Context, f *FileRecord, maxFiles int, events ...Event) error

	// File returns the file with the given id. Returns ENOTFOUND if none.
	File(ctx context.Context, id string) (*FileRecord, error)

	// Files returns a deposit's files, oldest first.
	Files(ctx context.Context, depositID string) ([]*FileRecord, error)

	// FilesOf returns the files of each of the deposits, oldest first, by
	// deposit id, in one read however many deposits a page lists; a
	// deposit without files, or unknown, has no entry.
	FilesOf(ctx context.Context, depositIDs []string) (map[string][]*FileRecord, error)

	// UpdateFile loads the file, locks it, and calls fn; if fn succeeds its
	// changes to the file (offset, state, resume, hash, stored time, key,
	// name, blob deletion, checks) are written with the events it returns. Returns
	// ENOTFOUND if there is no such file.
	UpdateFile(ctx context.Context, id string, fn func(f *FileRecord) ([]Event, error)) error

	// UpdateFiles is UpdateFile on several files in one transaction, so that
	// the changes of many uploads share one commit: fn is called with the
	// index in ids of each file. A file that is missing, or whose fn fails,
	// is left unchanged and its error (ENOTFOUND, or fn's) returned at its
	// index in errs; the changes of the others are written. err is not nil
	// if the transaction itself failed, and then nothing was written.
	UpdateFiles(ctx context.Context, ids []string, fn func(i int, f *FileRecord) ([]Event, error)) (errs []error, err error)

	// BlobsToDelete returns up to limit purged files, and rejected files
	// whose key is destroyed, whose blob is not yet deleted, in id order,
	// after the id after (from the start if empty), so that a sweeper
	// goes past blobs it could not delete.
	BlobsToDelete(ctx context.Context, after string, limit int) ([]*FileRecord, error)

	// FilesToCheck returns up to limit files in state checking whose
	// CheckAfter is at or before now (or unset), the earliest due first.
	// limit must be positive.
	FilesToCheck(ctx context.Context, now time.Time, limit int) ([]*FileRecord, error)

	// StoredFiles returns up to limit files whose blob is finished and
	// kept (checking, stored or available), in id order, after the id
	// after (from the start if empty): the scrubber's walk. limit must be
	// positive.
	StoredFiles(ctx context.Context, after string, limit int) ([]*FileRecord, error)
}

// OutboxStore keeps the e-mail notices waiting to go out, sent, or dead.
//
// Notices are created with the events that cause them (Event.Notices),
// by any method that appends events. Returns EINVALID for a notice
// without id, kind, addressee or creation time, ENOTFOUND if its
// addressee does not exist, ECONFLICT if its id exists.
type OutboxStore interface {
	// ClaimNotices returns up to limit pending notices due at now (their
	// NextAttemptAt is at or before now), the earliest due first, and leases
	// them to the caller: their NextAttemptAt becomes now+lease and their
	// Attempts grows by one, in the returned copies as in storage. Until
	// the lease ends no other call returns them, on this node or another;
	// a caller that dies leaves them to be claimed again once it ends.
	// limit must be positive and lease not negative.
	ClaimNotices(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Notice, error)

	// NoticeSent records that the notice was handed to the mail server at
	// at: it becomes sent, its key and payload are destroyed, and events are
	// appended. A notice already sent is left as it is (its events are not
	// appended again), so a delivery that was repeated is recorded once.
	// Returns ENOTFOUND if there is no such notice.
	NoticeSent(ctx context.Context, id string, at time.Time, events ...Event) error

	// NoticeFailed records that the delivery started by the claim that
	// made Attempts equal to attempt failed with errText: the notice is due
	// again at next, or becomes dead if dead is set (keeping its payload, so
	// that it can be replayed), with events. Returns ENOTFOUND if there is
	// no such notice, and ECONFLICT if it is no longer pending or was
	// claimed again since (the caller's lease ran out): then nothing
	// changes.
	NoticeFailed(ctx context.Context, id string, attempt int, errText string, next time.Time, dead bool, events ...Event) error

	// Notice returns the notice with the given id. Returns ENOTFOUND if
	// none.
	Notice(ctx context.Context, id string) (*Notice, error)

	// Notices returns notices matching f, oldest first.
	Notices(ctx context.Context, f NoticeFilter) ([]*Notice, error)

	// ReplayNotice makes a dead notice pending again, due at now with no
	// attempt counted, with events. Returns ENOTFOUND if there is no such
	// notice, ECONFLICT if it is not dead.
	ReplayNotice(ctx context.Context, id string, now time.Time, events ...Event) error
}

// SettingsStore keeps the platform settings admins change at run time.
type SettingsStore interface {
	// Settings returns the platform settings as last saved; the zero
	// Settings, not an error, if none ever were.
	Settings(ctx context.Context) (*Settings, error)

	// SaveSettings replaces the platform settings with st, with events, in
	// one transaction: a zero limit removes its setting. Returns EINVALID if
	// a limit is out of bounds (Limits.Valid).
	SaveSettings(ctx context.Context, st *Settings, events ...Event) error
}

// JournalStore keeps the journal: its events, the Merkle tree they are the
// leaves of, and the tree's signed checkpoints. Every method that appends
// events, here or in MetaStore, also appends each event as the next leaf
// of the tree (Event.Leaf, navette.EventLeaf) and the tree's new stored
// hashes (tlog.StoredHashes), in the same transaction, one append after
// the other even across nodes.
type JournalStore interface {
	// JournalHead returns the last event of the journal, with its hash.
	// Returns ENOTFOUND if the journal is empty.
	JournalHead(ctx context.Context) (*Event, error)
	// AppendEvents appends events that go with no other change.
	AppendEvents(ctx context.Context, events ...Event) error
	// Events returns events matching f, oldest first.
	Events(ctx context.Context, f EventFilter) ([]Event, error)
	// DownloadCount returns how many times userID downloaded file fileID
	// of deposit depositID completely: the number of its EventFileDownloaded
	// events with that deposit, file and actor. 0 if there are none.
	DownloadCount(ctx context.Context, depositID, fileID, userID string) (int, error)
	// ClaimDownload is the last step of a complete download of file fileID
	// of deposit depositID by userID, which may download it max times:
	// under the deposit's lock, against concurrent claims on every node, it
	// counts the downloads recorded (DownloadCount) and the claims still
	// running (neither ended nor expired at now); if together they are
	// fewer than max, it adds a claim that expires at until and returns its
	// id, else "" (the cap is reached). A claim ends with
	// ReleaseDownloadClaim, or with the EventFileDownloaded event of its
	// deposit, file and user appended by any method with a context from
	// NewContextWithDownloadClaim, in that event's transaction. Returns
	// EINVALID if max < 1 or until is not after now, ENOTFOUND if there is
	// no such deposit.
	ClaimDownload(ctx context.Context, depositID, fileID, userID string, max int, now, until time.Time) (string, error)
	// ReleaseDownloadClaim ends the download claim id; nothing if it ended
	// already or never was.
	ReleaseDownloadClaim(ctx context.Context, id string) error
	// ExtendDownloadClaim makes the download claim id, still running at now,
	// expire at until instead, and reports true: a download that holds its
	// claim longer than its TTL (the files of a ZIP archive, recorded once
	// the whole archive is sent) renews it before it expires. It reports
	// false, changing nothing, if the claim ended, expired at now or never
	// was: its place under the cap may have been taken since. Returns
	// EINVALID if until is not after now.
	ExtendDownloadClaim(ctx context.Context, id string, now, until time.Time) (bool, error)

	// TreeSize returns the number of leaves of the journal's tree: the
	// number of events, as of a committed append.
	TreeSize(ctx context.Context) (int64, error)
	// ReadHashes returns the tree's stored hashes at the given stored hash
	// indexes (tlog.StoredHashIndex), in the same order. Returns ENOTFOUND
	// if one is not stored (the tree is not that large).
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// EventByLeaf returns the event that is leaf n of the tree. Returns
	// ENOTFOUND if none.
	EventByLeaf(ctx context.Context, n int64) (*Event, error)

	// AddCheckpoint stores a signed checkpoint of the tree. Returns
	// EINVALID if its size is not positive, its note is empty or its
	// creation time is zero, and ECONFLICT if a checkpoint of the same size
	// is stored.
	AddCheckpoint(ctx context.Context, c *Checkpoint) error
	// LatestCheckpoint returns the checkpoint of the largest tree. Returns
	// ENOTFOUND if none is stored.
	LatestCheckpoint(ctx context.Context) (*Checkpoint, error)
	// Checkpoints returns the checkpoints matching f, smallest tree first.
	// Returns EINVALID for a negative limit.
	Checkpoints(ctx context.Context, f CheckpointFilter) ([]*Checkpoint, error)
	// StampCheckpoint adds the time-stamp token of the checkpoint of the
	// given size, obtained at at. Returns ENOTFOUND if there is no such
	// checkpoint, ECONFLICT if it has a token already, EINVALID if token is
	// empty or at is zero.
	StampCheckpoint(ctx context.Context, size int64, token []byte, at time.Time) error
}

// Checkpoint is a signed statement of the journal tree's size and root
// hash: a C2SP tlog-checkpoint in a signed note (package proof).
type Checkpoint struct {
	Size      int64     // number of leaves
	Root      tlog.Hash // root hash of the tree of Size leaves
	Note      []byte    // the whole signed note
	CreatedAt time.Time // by the server's clock
	// Token is an RFC 3161 TimeStampToken (DER) over SHA-256(Note), from a
	// time-stamping authority; nil until one was obtained.
	Token     []byte
	StampedAt time.Time // when Token was obtained, by the server's clock
}

// CheckpointFilter selects checkpoints.
type CheckpointFilter struct {
	MinSize   int64 // only checkpoints of trees of at least this many leaves
	Unstamped bool  // only checkpoints without a time-stamp token
	Limit     int   // at most this many; 0 means 100
}

// Box selects which deposits a listing shows.
type Box string

// Boxes.
const (
	BoxInbox Box = "inbox" // deposits addressed to the user or to a service the user is a member of, once available
	BoxSent  Box = "sent"  // deposits the user sent, in every state, and those sent from a service the user is a member of, once submitted
)

// DepositFilter selects deposits for ListDeposits.
type DepositFilter struct {
	UserID string
	Box    Box
	// States, if not empty, keeps only deposits in one of these states.
	// For BoxInbox the default is available only.
	States []DepositState
	// Before, if not zero, keeps deposits created strictly before it (a
	// pagination cursor), ties broken by id.
	Before   time.Time
	BeforeID string
	Limit    int // at most this many; 0 means 100
}

// EventFilter selects events.
type EventFilter struct {
	DepositID string // if set, only this deposit's events
	AfterSeq  int64  // only events with a greater sequence number
	Limit     int    // 0 means 1000
}

// CheckBlobCall checks what every BlobStore method checks first: the blob
// key and offset of the call (EINVALID), then that ctx is not done
// (EUNAVAILABLE).
func CheckBlobCall(ctx context.Context, key string, off int64) error {
	switch {
	case !ValidID(key):
		return Errorf(EINVALID, "Invalid blob key.")
	case off < 0:
		return Errorf(EINVALID, "Negative blob offset.")
	}
	return CheckBlobContext(ctx)
}

// CheckBlobContext returns EUNAVAILABLE if ctx is done: a BlobStore call
// whose request was canceled.
func CheckBlobContext(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return WrapError(EUNAVAILABLE, err, "The request was canceled.")
	}
	return nil
}

// BlobStore keeps sealed file contents. It only ever sees ciphertext. A blob
// is written by appends while its upload runs, then finished, after which it
// is read-only. Keys are made by the server, never taken from a client.
type BlobStore interface {
	// Append opens the unfinished blob key for writing at off, its committed
	// length (0 creates it). Bytes at or past off left by an earlier append
	// that was not committed are discarded. Returns ECONFLICT if the blob is
	// finished or shorter than off.
	Append(ctx context.Context, key string, off int64) (BlobWriter, error)
	// Finish makes an unfinished blob final and durable; only then can Open
	// read it. Returns ENOTFOUND if there is no unfinished blob key.
	Finish(ctx context.Context, key string) error
	// Open reads n bytes (n < 0: to the end) of the finished blob key from
	// off. Returns ENOTFOUND if there is no finished blob key.
	Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
	// Delete removes the blob key, finished or not. Deleting a blob that does
	// not exist is not an error.
	Delete(ctx context.Context, key string) error
	// Unfinished lists the keys of unfinished blobs, so that a janitor can
	// remove those no file record owns any more.
	Unfinished(ctx context.Context) ([]string, error)
	// Ping checks that the store can be reached. Returns EUNAVAILABLE if not.
	Ping(ctx context.Context) error
}

// BlobWriter appends to an unfinished blob.
type BlobWriter interface {
	io.Writer
	// Commit makes everything written so far durable.
	Commit() error
	// Close releases the writer; what was not committed may be lost.
	Close() error
}

// UploadLocker locks uploads, so that two requests, on one node or on
// several, never work on the same upload at once. Package app adapts it to
// tusd's locker.
type UploadLocker interface {
	// NewLock returns the lock of upload id, not yet taken.
	NewLock(id string) (UploadLock, error)
}

// UploadLock is the lock of one upload, used from one goroutine at a time.
type UploadLock interface {
	// Lock takes the lock, asking its holder to let go if needed, until
	// ctx is done; while it is held, requestUnlock is called when another
	// request wants it. Returns an error wrapping ctx.Err() if ctx ended
	// first, EUNAVAILABLE if the lock's storage cannot be reached.
	Lock(ctx context.Context, requestUnlock func()) error
	// Unlock releases the lock. Releasing a lock not held does nothing.
	Unlock() error
}

// BlobCheckpointer is a BlobWriter that can make what it was given durable
// while more is written, so that an upload does not wait for the disk at
// each commit. Checkpoint hands everything written so far to the storage
// and returns sync, which makes those bytes durable, as Commit would, and
// may run on another goroutine while later Writes go on (but not together
// with Commit, Close or another sync). A failed sync fails the writer.
type BlobCheckpointer interface {
	BlobWriter
	Checkpoint() (sync func() error, err error)
}

// CommitSizer is a BlobWriter whose commits cost an object each (the S3
// store's parts and tails): commits should fall every CommitSize bytes of
// the blob at most, so that each commit's bytes make one such object and
// none is written twice.
type CommitSizer interface {
	BlobWriter
	CommitSize() int64
}
