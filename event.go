package navette

import "time"

// EventType names what happened.
type EventType string

// Event types recorded in the journal.
const (
	EventUserCreated      EventType = "user.created"
	EventTokenCreated     EventType = "token.created"
	EventDepositCreated   EventType = "deposit.created"
	EventFileStored       EventType = "file.stored"
	EventFileRemoved      EventType = "file.removed"
	EventDepositSubmitted EventType = "deposit.submitted"
	EventDepositAvailable EventType = "deposit.available"
	EventFileDownloaded   EventType = "file.downloaded" // every byte of the file reached the actor; Detail is how: "whole" (one answer) or "ranges" (several)
	EventDepositRevoked   EventType = "deposit.revoked"
	EventDepositExpired   EventType = "deposit.expired"
	EventDepositPurged    EventType = "deposit.purged"
	EventAccessDenied     EventType = "access.denied"    // Detail is why ("not_found", "gone", "not_sender"), or for denials counted together "count=N REASON=N…"
	EventDepositReminded  EventType = "deposit.reminded" // reminders were queued for recipients who had not downloaded
	EventNoticeSent       EventType = "notice.sent"      // the mail server accepted a notice; Detail is "KIND USERID NOTICEID"
	EventNoticeDead       EventType = "notice.dead"      // a notice failed for good; Detail as for notice.sent
	EventNoticeReplayed   EventType = "notice.replayed"  // an admin queued a dead notice again; Detail as for notice.sent

	EventUserUpdated     EventType = "user.updated"     // Detail names the fields changed
	EventUserRevoked     EventType = "user.revoked"     // access removed (directory sync or admin); Detail is the reason
	EventUserRestored    EventType = "user.restored"    // access given back
	EventRoleChanged     EventType = "user.role"        // Detail is "USERID OLD NEW"
	EventDirectorySynced EventType = "directory.synced" // Detail is "SOURCE added=N updated=N revoked=N restored=N"
	EventSignIn          EventType = "session.created"  // Detail is the method
	EventSignOut         EventType = "session.ended"    // Detail is why: "signout", "expired", "revoked USERID" (an admin ended them all), "revoked USERID SESSIONID" (one)
	EventSignInFailed    EventType = "signin.failed"    // Detail is why, never the secret
	EventSignInCodeSent  EventType = "signin.code"      // a code was queued for e-mail
	EventTOTPEnrolled    EventType = "totp.enrolled"    // a second factor was enrolled
	EventTokenRevoked    EventType = "token.revoked"    // Detail is the token id
	EventCourtCreated    EventType = "court.created"    // Detail is the code
	EventMemberAdded     EventType = "member.added"     // Detail is "SERVICEID USERID"
	EventMemberRemoved   EventType = "member.removed"   // Detail is "SERVICEID USERID"
	EventDepositOpened   EventType = "deposit.opened"   // a recipient (or a member of a recipient mailbox) first opened a deposit; Detail is the recipient's id
	EventSettingsChanged EventType = "settings.changed" // Detail lists the settings saved, "name=value …"

	// A deposit's proof retention ended: its proof key and sealed claims
	// were destroyed; Detail is the number of claims.
	EventEvidenceDeleted EventType = "evidence.deleted"
	// A deposit's evidence bundle was exported; Detail is the number of
	// receipts, then "operator" when exported from the command line.
	EventEvidenceExported EventType = "evidence.exported"
	EventFileCorrupt      EventType = "file.corrupt" // stored content failed its integrity check as it was read for a download (Detail is where: "header", "segment N", "hash", "length") or by the scrubber (Detail "corrupt …"; the file is never served again)
	// Key-encryption keys: a new one was made active (Detail "KEYID"), or
	// staged ("KEYID staged") then activated ("KEYID activated"), the
	// stored keys were re-wrapped under the active one (Detail "start
	// to=KEYID stale=N" as it starts, then "done to=KEYID rewrapped=N
	// changed=N failed=N left=N", or "interrupted …" with the same counts),
	// an old one was destroyed (Detail "KEYID"); a new journal signing key
	// was made (key.rotated, Detail "journal VERIFIER"). These come from
	// `navette admin … --data DIR`: their actor is LocalOperator.
	EventKeyRotated EventType = "key.rotated"
	EventKeyRewrap  EventType = "key.rewrap"
	EventKeyRetired EventType = "key.retired"
)

// Event is one entry of the journal. Events are only ever appended, and never
// carry a file name, a reference or a message.
type Event struct {
	Seq       int64 // assigned by storage, increasing
	Time      time.Time
	Type      EventType
	ActorID   string // user who acted; empty for the system
	DepositID string
	FileID    string
	Size      int64
	SHA256    []byte
	Detail    string // short machine-readable detail, never user content
	// Auth is how the actor of an event they caused had signed in: the
	// method of their session ("code+totp", "code+passkey", "oidc"…) or
	// "token" for an API token; its level is MethodAssurance(Auth).
	// Storage sets it, as it appends the event, from the request's
	// SignInFromContext when the event's actor is the request's user;
	// empty for the system's events and those journaled before.
	Auth string
	// Hash links the event to the one before it (ChainHash); set by
	// storage as it appends the event, empty for events journaled before
	// the chain began.
	Hash []byte
	// Claims is the SHA-256 of the event's claims document (the evidence
	// that must not be in clear in the journal: reference, file names,
	// people), or empty when it has none. It is covered by the leaf.
	Claims []byte
	// Leaf is the event's index in the journal's Merkle tree, 0 for the
	// first event; assigned by storage as it appends the event (the value
	// given is ignored), -1 for an event read back that has none.
	Leaf int64
	// Notices are the e-mail notices this event causes; they are written
	// with it, in the same transaction, but are not part of the journal:
	// reading events back never returns them.
	Notices []Notice
	// SealedClaims is the claims document whose digest is Claims, sealed
	// under the deposit's proof key: storage keeps it as the deposit's
	// evidence (EvidenceStore), in the same transaction as the event,
	// until the proof retention ends. Like Notices it is not part of the
	// journal: reading events back never returns it.
	SealedClaims []byte
}
