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

// File states. A file is uploading until its last byte is durably stored; a
// stored file waits for checks (antivirus) before it becomes available;
// a file that fails a check is rejected; purged files have lost their key
// and blob.
const (
	FileUploading FileState = "uploading"
	FileStored    FileState = "stored"
	FileAvailable FileState = "available"
	FileRejected  FileState = "rejected"
	FilePurged    FileState = "purged"
)

// WrappedKey is a data key sealed under a key-encryption key, named by that
// key's id so keys can be rotated.
type WrappedKey struct {
	KeyID string
	Data  []byte
}

// IsZero reports whether the key is absent (never set, or destroyed).
func (k WrappedKey) IsZero() bool { return k.KeyID == "" && len(k.Data) == 0 }

// DepositRecord is a deposit as storage keeps it: its reference and message
// are sealed with the deposit's own key, which is wrapped by a key-encryption
// key. Storage never sees them in clear.
type DepositRecord struct {
	ID            string
	SenderID      string
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
	Recipients []Recipient
}

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
}

// Limits are the operator's bounds on deposits.
type Limits struct {
	MaxFileSize      int64 // bytes per file
	MaxFiles         int   // files per deposit
	MaxRetentionDays int   // ceiling of the retention a sender may choose
	MaxRecipients    int   // recipients per deposit
}

// DefaultLimits are the limits when the operator sets none.
var DefaultLimits = Limits{
	MaxFileSize:      1 << 30,
	MaxFiles:         100,
	MaxRetentionDays: 30,
	MaxRecipients:    50,
}
