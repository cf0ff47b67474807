package navette

import (
	"context"
	"strings"
)

// FileCheck is what the content checks of a file found: the antivirus, the
// policy on refused types, and later the scrubber. Empty while they have not
// decided.
type FileCheck string

// Outcomes of content checks. Clean and unscanned files are offered;
// over-limit, encrypted and failed scans are offered marked or refused
// under the operator's policy; infected files and refused types are
// destroyed; corrupt files are never served.
const (
	CheckPending     FileCheck = ""
	CheckClean       FileCheck = "clean"        // the antivirus found nothing
	CheckUnscanned   FileCheck = "unscanned"    // no antivirus was configured (--antivirus=off)
	CheckInfected    FileCheck = "infected"     // the detail is the signature's name
	CheckRefusedType FileCheck = "refused_type" // the detail names the type (pe, elf…)
	CheckOverLimit   FileCheck = "over_limit"   // larger than the antivirus scans; the detail is its message
	CheckEncrypted   FileCheck = "encrypted"    // an encrypted archive or document the antivirus cannot open
	CheckFailed      FileCheck = "scan_error"   // the antivirus answered with an error; the detail is its message
	CheckCorrupt     FileCheck = "corrupt"      // the stored blob fails its integrity check; the detail says where
)

// Marked reports whether a file with this outcome, if offered, must carry
// the warning that it was not (fully) scanned.
func (c FileCheck) Marked() bool {
	return c == CheckUnscanned || c == CheckOverLimit || c == CheckEncrypted || c == CheckFailed
}

// Undecided reports whether c is an antivirus outcome that the operator's
// policy decides (refuse or deliver marked).
func (c FileCheck) Undecided() bool {
	return c == CheckOverLimit || c == CheckEncrypted || c == CheckFailed
}

// Events of content checks. Detail is the outcome, a space, and its detail
// (the signature's name, the type, clamd's message, where a blob is
// corrupt): "infected Eicar-Test-Signature".
const (
	EventFileChecked     EventType = "file.checked"     // the checks passed, or the file is offered marked
	EventFileInfected    EventType = "file.infected"    // the antivirus found a signature: the file was destroyed
	EventFileRejected    EventType = "file.rejected"    // refused by policy (type, over limit…): the file was destroyed
	EventDepositReturned EventType = "deposit.returned" // a submitted deposit went back to draft: a file was rejected; Detail is its id
)

// NoticeContentAlert tells platform admins that a file was found infected,
// refused, or corrupt at rest.
const NoticeContentAlert NoticeKind = "content_alert"

// ScanVerdict is an antivirus's answer about one stream.
type ScanVerdict struct {
	// Check is CheckClean, CheckInfected, CheckOverLimit, CheckEncrypted
	// or CheckFailed.
	Check FileCheck
	// Detail is the signature's name, or the antivirus's message: one line
	// of printable ASCII.
	Detail string
}

// String is the verdict as events record it: "infected NAME", "clean".
func (v ScanVerdict) String() string {
	if v.Detail == "" {
		return string(v.Check)
	}
	return string(v.Check) + " " + v.Detail
}

// Antivirus scans contents as they stream (package navette/clamav).
type Antivirus interface {
	// Scan starts scanning one stream. Returns EUNAVAILABLE if the
	// antivirus cannot be reached.
	Scan(ctx context.Context) (ScanStream, error)
	// Ping checks that the antivirus answers. Returns EUNAVAILABLE if not.
	Ping(ctx context.Context) error
}

// ScanStream is one stream being scanned: its bytes are written in order,
// then Close returns the verdict.
type ScanStream interface {
	// Write sends p to the antivirus. An error means the stream is lost
	// (EUNAVAILABLE); an antivirus that refuses the stream early (too
	// large) keeps accepting writes and tells so in Close.
	Write(p []byte) (int, error)
	// Close ends the stream and waits for the verdict. Returns
	// EUNAVAILABLE if the antivirus could not be reached, failed, timed
	// out, or answered something that is not a verdict.
	Close() (ScanVerdict, error)
	// Abort drops the stream without a verdict.
	Abort()
}

// CleanDetail returns s as a detail fit for events and pages: printable
// ASCII without spaces at either end, at most 200 bytes, others replaced
// by '?'.
func CleanDetail(s string) string { return cleanDetail(s, 200) }

// CleanWholeDetail returns s as CleanDetail does, but whole: for a detail
// made only of what the server states (identifiers, keys, counts), whose
// every part the journal must certify, such as a key.rotated event's (its
// new verifier key, named for the journal's origin, then the key retired
// and the tree size it retired at).
func CleanWholeDetail(s string) string { return cleanDetail(s, -1) }

// cleanDetail is CleanDetail cutting at max bytes, or not at all if max
// is negative.
func cleanDetail(s string, max int) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if max >= 0 && b.Len() >= max {
			break
		}
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
