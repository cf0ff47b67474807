package navette

import "time"

// DepositState is where a deposit is in its life.
type DepositState string

// Deposit states. A deposit is created as a draft, its files are uploaded,
// it is submitted (checking while later checks such as antivirus run), then
// available until it expires or its sender revokes it. Purge is recorded by
// PurgedAt, not by a state, so the final state tells why it ended.
const (
	DepositDraft     DepositState = "draft"
	DepositChecking  DepositState = "checking"
	DepositAvailable DepositState = "available"
	DepositRevoked   DepositState = "revoked"
	DepositExpired   DepositState = "expired"
)

// FileState is where a file is in its life.
type FileState string

// File states. A file is uploading until its last byte is durably stored,
// then checking until the content checks (antivirus, refused types) decide:
// stored once they pass (clean, or offered marked), available once its
// deposit is; a file that fails a check is rejected (an infected one loses
// its key and blob at once), as is a stored file the scrubber finds
// corrupt; purged files have lost their key and blob.
const (
	FileUploading FileState = "uploading"
	FileChecking  FileState = "checking"
	FileStored    FileState = "stored"
	FileAvailable FileState = "available"
	FileRejected  FileState = "rejected"
	FilePurged    FileState = "purged"
)

// DepositRecord is a deposit as storage keeps it: its reference and message
// are sealed with the deposit's own key, which is wrapped by a key-encryption
// key. Storage never sees them in clear.
type DepositRecord struct {
	ID       string
	SenderID string
	// SenderDisabled, filled by storage when reading, says the sender has
	// lost access since (struck off, revoked): the notices only they would
	// get (receipt, expiry report, forward) are not queued for them.
	SenderDisabled bool
	// FromSpaceID is the service mailbox the sender sent the deposit on
	// behalf of, "" when sent in person. The members of that mailbox see
	// the deposit as its sender does once it is submitted.
	FromSpaceID string
	// ForwardedFrom is the deposit this one forwards, "" if it forwards
	// none; set by ForwardStore.ForwardDeposit only.
	ForwardedFrom string
	State         DepositState
	RetentionDays int
	Key           WrappedKey // seals Reference, Message and file names; zero after purge
	Reference     []byte     // sealed
	Message       []byte     // sealed; empty when there is none
	CreatedAt     time.Time
	SubmittedAt   time.Time // zero until submitted
	AvailableAt   time.Time // zero until available
	ExpiresAt     time.Time // zero until available
	RevokedAt     time.Time
	PurgedAt      time.Time
	// NotifySender, when set, sends the sender a receipt as each recipient
	// first downloads. Services set it on by default.
	NotifySender bool
	// RemindedAt is when reminders were queued for recipients who had not
	// downloaded; zero until then. A deposit is reminded at most once.
	RemindedAt time.Time
	// ProofKey seals the deposit's evidence (the claims documents of its
	// events, see EvidenceStore). Unlike Key it survives the purge: it is
	// destroyed only once the proof retention ends. Zero for deposits made
	// before proofs were kept, and once destroyed.
	ProofKey WrappedKey
	// ProofUntil is when the proof retention ends: set at the purge, zero
	// until then.
	ProofUntil time.Time
	// MaxDownloads caps the complete downloads of each file by each
	// recipient person (file.downloaded events of that person and file);
	// 0 means no cap. Partial fetches never count, nor the sender's own.
	MaxDownloads int
	// IdempotencyKey is the Idempotency-Key its creation request carried,
	// "" if none. A sender's key names one deposit among theirs made less
	// than IdempotencyKeyLifetime ago, so that a repeated creation finds
	// it rather than making a second (see DepositStore.CreateDeposit).
	IdempotencyKey string
	// RequestDigest is the SHA-256 of its creation request, sealed with
	// Key, by which a repeat carrying IdempotencyKey is told from another
	// request reusing it; empty when IdempotencyKey is.
	RequestDigest []byte
	Recipients    []Recipient
}

// IdempotencyKeyLifetime is how long an Idempotency-Key names the deposit
// it created: a sender may reuse a key once the deposit it names is older.
// A day covers the retries that matter (a reload, a resent request, a
// command's retries span minutes) and a draft's default life before it is
// abandoned, while the keys a sender's clients hold stay few.
const IdempotencyKeyLifetime = 24 * time.Hour

// Recipient is a person or a service mailbox a deposit is addressed to.
type Recipient struct {
	UserID          string
	Email           string // filled by storage when reading
	Name            string // filled by storage when reading
	Role            Role   // filled by storage when reading; RoleService for a mailbox
	Disabled        bool   // filled by storage when reading: the recipient lost access since
	FirstDownloadAt time.Time
	// FirstDownloadBy is who first downloaded: the recipient, or for a
	// service mailbox the member who did.
	FirstDownloadBy string
	// FirstOpenedAt is when the recipient first opened the deposit (saw its
	// detail or downloaded from it), and FirstOpenedBy who did, as for
	// downloads.
	FirstOpenedAt time.Time
	FirstOpenedBy string
}

// FileRecord is a file of a deposit as storage keeps it.
type FileRecord struct {
	ID        string
	DepositID string
	Name      []byte // sealed with the deposit key; empty after purge
	Size      int64  // announced length, in plaintext bytes
	Offset    int64  // plaintext bytes durably stored so far
	State     FileState
	Key       WrappedKey // the file's data key; zero after purge
	Resume    []byte     // sealed resume state of an upload (hash state and partial segment); empty once stored
	SHA256    []byte     // SHA-256 of the plaintext, set when stored
	CreatedAt time.Time
	StoredAt  time.Time
	// BlobDeleted records that the blob is gone; purged files keep a
	// tombstone until then so a failed delete is retried.
	BlobDeleted bool
	// Check is what the content checks found, and CheckDetail its detail
	// (a signature's name, a type, where a blob is corrupt); empty until
	// they decide.
	Check       FileCheck
	CheckDetail string
	// CheckAttempts counts the times a check could not get a verdict (the
	// antivirus down or failing); CheckAfter is when a checking file is
	// next due for the background checker.
	CheckAttempts int
	CheckAfter    time.Time
	// BlobID, for a file forwarded from another deposit, is the id of the
	// file whose sealed blob it shares (see Blob); empty for a file that
	// has its own blob.
	BlobID string
}

// Limits are the operator's bounds on deposits.
type Limits struct {
	MaxFileSize      int64 // bytes per file
	MaxFiles         int   // files per deposit
	MaxRetentionDays int   // ceiling of the retention a sender may choose
	MaxRecipients    int   // recipients per deposit
}

// Valid returns EINVALID, naming the first field that is set (non-zero)
// and out of MaxLimits' bounds; zero fields are "not set" and valid.
func (l Limits) Valid() error {
	switch {
	case l.MaxFileSize != 0 && (l.MaxFileSize < MinFileSizeLimit || l.MaxFileSize > MaxLimits.MaxFileSize):
		return Errorf(EINVALID, "The file size limit must be between %d and %d bytes.", int64(MinFileSizeLimit), MaxLimits.MaxFileSize)
	case l.MaxFiles != 0 && (l.MaxFiles < 1 || l.MaxFiles > MaxLimits.MaxFiles):
		return Errorf(EINVALID, "The number of files per deposit must be between 1 and %d.", MaxLimits.MaxFiles)
	case l.MaxRetentionDays != 0 && (l.MaxRetentionDays < 1 || l.MaxRetentionDays > MaxLimits.MaxRetentionDays):
		return Errorf(EINVALID, "The retention ceiling must be between 1 and %d days.", MaxLimits.MaxRetentionDays)
	case l.MaxRecipients != 0 && (l.MaxRecipients < 1 || l.MaxRecipients > MaxLimits.MaxRecipients):
		return Errorf(EINVALID, "The number of recipients per deposit must be between 1 and %d.", MaxLimits.MaxRecipients)
	}
	return nil
}

// Or returns l with its zero fields taken from d.
func (l Limits) Or(d Limits) Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxRetentionDays <= 0 {
		l.MaxRetentionDays = d.MaxRetentionDays
	}
	if l.MaxRecipients <= 0 {
		l.MaxRecipients = d.MaxRecipients
	}
	return l
}

// MinFileSizeLimit is the smallest file size limit that may be set: 1 MiB.
const MinFileSizeLimit = 1 << 20

// MaxLimits bound what an operator or an admin may set: 4 TiB per file
// (under an object store's 5 TiB), 1,000 files or recipients per deposit,
// 30 days of retention (the ceiling the arrêté of 24 October 2019 sets).
var MaxLimits = Limits{
	MaxFileSize:      1 << 42,
	MaxFiles:         1000,
	MaxRetentionDays: 30,
	MaxRecipients:    1000,
}

// Settings are the platform settings an admin changes at run time. Zero
// limits are not set: the server's configuration applies to them.
type Settings struct {
	Limits    Limits
	UpdatedAt time.Time // when they were last saved; zero if never
	UpdatedBy string    // the id of the user who last saved them
}

// DefaultLimits are the limits when the operator sets none.
var DefaultLimits = Limits{
	MaxFileSize:      1 << 30,
	MaxFiles:         100,
	MaxRetentionDays: 30,
	MaxRecipients:    50,
}
