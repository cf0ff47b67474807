package api

import "time"

// PathCases lists the caller's cases (GET ?q=TEXT&before=CURSOR&limit=N:
// CaseList, one page); a case is GET PathCases/{id} (?before=CURSOR&limit=N:
// Case, one page of its deposits), its files as one ZIP GET
// PathCases/{id}/bundle.
const PathCases = Version + "/cases"

// Case is a case as the caller sees it: the deposits of it they may see,
// in both directions, newest first.
type Case struct {
	ID string `json:"id"`
	// Reference is the reference of its newest deposit the caller sees.
	Reference string    `json:"reference"`
	Sent      int       `json:"sent"`     // deposits the caller sent
	Received  int       `json:"received"` // deposits the caller received
	LastAt    time.Time `json:"last_at"`  // when its newest deposit was made
	// Deposits are in GET PathCases/{id} only, with their files; each
	// carries its direction. They are one page of the case's deposits
	// (Sent, Received, Reference and LastAt are then the page's).
	Deposits []CaseDeposit `json:"deposits,omitempty"`
	// Next, in GET PathCases/{id} only, when set, is the cursor to pass
	// as ?before= for the next page of the case's deposits.
	Next string `json:"next,omitempty"`
}

// CaseDeposit is a deposit of a case, with its direction for the caller.
type CaseDeposit struct {
	Deposit
	Direction string `json:"direction"` // sent or received
}

// CaseList is the answer of GET /api/v1/cases.
type CaseList struct {
	Cases []Case `json:"cases"`
	// Next, when set, is the cursor to pass as ?before= for the next page
	// (with the same q). A search may answer fewer cases than the limit,
	// even none, while Next is set: it reads a bounded number of cases per
	// call.
	Next string `json:"next,omitempty"`
}

// Reply is the body of POST /api/v1/deposits/{id}/reply: the answer
// becomes a draft to the deposit's sender's side, in its case, under its
// reference; upload its files and submit it as any draft.
type Reply struct {
	Message       string `json:"message,omitempty"`
	RetentionDays int    `json:"retention_days,omitempty"` // 0: the operator's default
	NotifySender  *bool  `json:"notify_sender,omitempty"`  // absent means true
	// FromSpace is whom the reply is sent as: the e-mail address of a
	// service mailbox the caller is a member of, or "" for in person.
	// Absent (nil), it is sent on behalf of the recipient mailbox of the
	// deposit through which the caller received it, if any.
	FromSpace *string `json:"from_space,omitempty"`
}

// Extend is the body of POST /api/v1/deposits/{id}/extend: the days added
// to the deposit's retention.
type Extend struct {
	Days int `json:"days"`
}

// Revoke is the optional body of DELETE /api/v1/deposits/{id}: why the
// sender withdraws the deposit, told to its recipients by e-mail (never in
// the subject).
type Revoke struct {
	Reason string `json:"reason,omitempty"`
}
