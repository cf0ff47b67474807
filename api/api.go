// Package api defines the JSON documents of navette's HTTP API (/api/v1),
// shared by the server and the Go client so the two cannot drift apart.
// Times are RFC 3339 in UTC; sizes are bytes; hashes are lower-case hex.
package api

import "time"

// Version is the API path prefix.
const Version = "/api/v1"

// Paths of the API, relative to the server's root.
const (
	PathDeposits = Version + "/deposits"
	PathUploads  = Version + "/uploads/" // tus 1.0 endpoint
	PathOpenAPI  = Version + "/openapi.json"
	// PathAdminNotices lists the e-mail notices (platform admins only);
	// POST PathAdminNotices/{id}/replay queues a dead one again.
	PathAdminNotices = Version + "/admin/notices"
)

// Upload-Metadata keys of a tus creation request.
const (
	MetaDeposit  = "deposit"  // id of the draft deposit the file belongs to
	MetaFilename = "filename" // the file's name, shown to recipients
)

// HeaderIdempotencyKey is the request header that makes POST
// /api/v1/deposits, POST …/{id}/reply and POST …/{id}/forward happen once
// (draft-ietf-httpapi-idempotency-key-header): a structured field String
// of 1 to 255 printable ASCII characters, fresh (random) for each deposit a
// client means to make. A repeat with the same key, path and body within a
// day answers with the deposit the first made; with another path or body,
// 422 (problem type tag:navette,2026:problem:idempotency_key_reused); while
// the first is still being processed, 409
// (tag:navette,2026:problem:idempotency_key_in_use). Keys are the caller's
// own: another person's same key is another key.
const HeaderIdempotencyKey = "Idempotency-Key"

// CreateDeposit is the body of POST /api/v1/deposits.
type CreateDeposit struct {
	Recipients    []string `json:"recipients"`
	Reference     string   `json:"reference"`
	Message       string   `json:"message,omitempty"`
	RetentionDays int      `json:"retention_days,omitempty"` // 0: the operator's default
	// NotifySender, when false, spares the sender the e-mail receipt sent
	// as each recipient first downloads; absent means true.
	NotifySender *bool `json:"notify_sender,omitempty"`
	// MaxDownloads caps the complete downloads of each file by each
	// recipient person (1 to 100); 0 or absent means no cap. Once reached,
	// the file answers 410 with the problem type
	// tag:navette,2026:problem:download_limit.
	MaxDownloads int `json:"max_downloads,omitempty"`
	// FromSpace, if set, is the e-mail address of a service mailbox the
	// caller is a member of: the deposit is sent on behalf of it, and every
	// member of it sees, follows, extends and withdraws it as its sender.
	FromSpace string `json:"from_space,omitempty"`
}

// Person names a user.
type Person struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// Recipient is a person a deposit is addressed to, with what they did.
type Recipient struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	// Service is set for a court's service mailbox.
	Service bool `json:"service,omitempty"`
	// Revoked is set when the recipient lost access to the platform since
	// (struck off their directory): they can no longer fetch the deposit.
	Revoked         bool       `json:"revoked,omitempty"`
	FirstDownloadAt *time.Time `json:"first_download_at,omitempty"`
	// FirstDownloadBy is, for a service mailbox, the member who first
	// downloaded.
	FirstDownloadBy string `json:"first_download_by,omitempty"`
	// FirstOpenedAt is when the recipient first opened the deposit (or
	// downloaded from it), and FirstOpenedBy, for a service mailbox, the
	// member who did.
	FirstOpenedAt *time.Time `json:"first_opened_at,omitempty"`
	FirstOpenedBy string     `json:"first_opened_by,omitempty"`
}

// File describes one file of a deposit.
type File struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Offset int64  `json:"offset"` // bytes received so far (equals size once stored)
	SHA256 string `json:"sha256,omitempty"`
	State  string `json:"state"` // uploading, checking, stored, available, rejected, purged
	// Check is what the content checks found (navette.FileCheck: clean,
	// unscanned, infected, refused_type, over_limit, encrypted,
	// scan_error, corrupt), and CheckDetail its detail: the signature's
	// name, the type, the antivirus's message.
	Check       string `json:"check,omitempty"`
	CheckDetail string `json:"check_detail,omitempty"`
}

// Deposit is a deposit as its sender or a recipient sees it.
type Deposit struct {
	ID            string `json:"id"`
	State         string `json:"state"` // draft, checking, available, revoked, expired
	Reference     string `json:"reference,omitempty"`
	Message       string `json:"message,omitempty"`
	RetentionDays int    `json:"retention_days"`
	Sender        Person `json:"sender"`
	// FromSpace is the service mailbox the deposit was sent on behalf of;
	// absent when sent in person.
	FromSpace    *Person     `json:"from_space,omitempty"`
	Recipients   []Recipient `json:"recipients"`
	CreatedAt    time.Time   `json:"created_at"`
	SubmittedAt  *time.Time  `json:"submitted_at,omitempty"`
	ExpiresAt    *time.Time  `json:"expires_at,omitempty"`
	RevokedAt    *time.Time  `json:"revoked_at,omitempty"`
	NotifySender bool        `json:"notify_sender"` // the sender gets a receipt as each recipient first downloads
	MaxDownloads int         `json:"max_downloads"` // complete downloads of each file allowed per recipient person; 0: no cap
	FileCount    int         `json:"file_count"`
	TotalSize    int64       `json:"total_size"`
	Files        []File      `json:"files,omitempty"`
	// UploadURL is where files of a draft are uploaded with tus.
	UploadURL string `json:"upload_url,omitempty"`
	// CaseID is the case the deposit belongs to (GET /api/v1/cases/{id}),
	// once submitted.
	CaseID string `json:"case_id,omitempty"`
	// Forwards are the deposit's forwards, oldest first, in the answer of
	// GET /api/v1/deposits/{id}, for its sender, the members of the
	// mailbox it was sent from and the agents who received it; absent when
	// there is none, for anyone else, and in lists.
	Forwards []Forwarding `json:"forwards,omitempty"`
}

// DepositList is the answer of GET /api/v1/deposits.
type DepositList struct {
	Deposits []Deposit `json:"deposits"`
	// Next, when set, is the cursor to pass as ?before= for the next page.
	Next string `json:"next,omitempty"`
}

// FileList is the answer of GET /api/v1/deposits/{id}/files.
type FileList struct {
	Files []File `json:"files"`
}

// Notice is an e-mail notice of the outbox, as platform admins see it.
type Notice struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`  // deposit, reminder, receipt, expiry_report, sign_in_code, access_revoked, recovery_…
	State         string     `json:"state"` // pending, sent, dead
	To            string     `json:"to"`    // the addressee's e-mail address
	DepositID     string     `json:"deposit_id,omitempty"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"` // pending notices only
	SentAt        *time.Time `json:"sent_at,omitempty"`
}

// NoticeList is the answer of GET /api/v1/admin/notices.
type NoticeList struct {
	Notices []Notice `json:"notices"`
}

// Problem is an RFC 9457 problem details document, the body of every error
// answer (Content-Type application/problem+json).
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Code is navette's application error code (navette.ENOTFOUND…).
	Code string `json:"code"`
	// Revoked and RevokedTotal are extension members of the refusal of a
	// directory sync by its revocation guard: the first people it would
	// revoke (at most MaxRevokedListed, in the report's order) and how
	// many it would revoke in all.
	Revoked      []DirectoryChange `json:"revoked,omitempty"`
	RevokedTotal int               `json:"revoked_total,omitempty"`
}

// MaxRevokedListed bounds the people a Problem's Revoked lists.
const MaxRevokedListed = 50

// ProblemContentType is the media type of a Problem.
const ProblemContentType = "application/problem+json"
