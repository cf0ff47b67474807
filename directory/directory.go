// Package directory keeps navette's users in step with the directories that
// authorise them: professional tables received as CSV flows (the national
// table of lawyers, judicial officers, experts) and the ministry's LDAP
// directory (agents, their courts and services). Nobody signs up: a person
// is on the platform because a directory lists them as active, and loses
// access at the sync that no longer does.
//
// A sync compares a directory's complete listing with the users of that
// source and applies the difference in one transaction: new active people
// are created, changed ones updated, absent or inactive ones revoked (their
// sessions end, their tokens stop working, they can no longer be chosen as
// recipients, and they are told by e-mail), returning active ones restored.
// The same listing applied twice changes nothing.
package directory

import (
	"navette"
	"navette/api"
	"navette/notify"
)

// Entry is one person as a directory lists them.
type Entry struct {
	// Line is the entry's line in a CSV flow, for error messages; 0 when
	// the entry did not come from a file.
	Line       int
	ExternalID string // the person's id in the directory (CNBF number, LDAP uid); required, unique
	Email      string // normalized with navette.NormalizeEmail
	Name       string // as shown: "Prénom Nom"
	Org        string // a partner's organisation (a lawyer's bar); empty for agents
	Status     string // the directory's own word for the person's status, such as "actif"
	Active     bool   // whether Status lets the person in
	Role       navette.Role
	Kind       string // a partner's profession, such as "lawyer"; empty for agents
	CourtCode  string // an agent's court (navette.Court.Code); empty for partners
}

// Snapshot is a complete listing of the ministry directory: people, courts,
// and services with their members.
type Snapshot struct {
	People   []Entry
	Courts   []CourtEntry
	Services []ServiceEntry
}

// CourtEntry is a court as a directory lists it.
type CourtEntry struct {
	Code string // stable and unique, such as "TJ-AMIENS"
	Name string
}

// ServiceEntry is a service mailbox as a directory lists it.
type ServiceEntry struct {
	Code      string // stable and unique across courts; the mailbox's external id
	CourtCode string
	Name      string
	Email     string   // the functional address notices go to
	Members   []string // external ids of the member agents
}

// Options tune a sync.
type Options struct {
	// DryRun computes and reports the difference without applying it.
	DryRun bool
	// Force applies a sync that would revoke more than MaxRevokeShare of the
	// source's active users.
	Force bool
	// MaxRevokeShare is the largest share of a source's active users a sync
	// may revoke without Force (0 means DefaultMaxRevokeShare): a truncated
	// flow must not empty a directory.
	MaxRevokeShare float64
	// ForceHint is how the caller forces a sync, as the revocation guard's
	// refusal tells it: "--force" (when empty) for the command line,
	// "force=1" for the API.
	ForceHint string
}

// DefaultMaxRevokeShare is the share of a directory a sync may revoke
// without being forced.
const DefaultMaxRevokeShare = 0.10

// Change is one person a sync adds, updates, revokes or restores: the
// admin API's document, so that the API answers with a Report's changes
// as they are.
type Change = api.DirectoryChange

// Report is what a sync did, or would do on a dry run.
type Report struct {
	Source    string
	Added     []Change
	Updated   []Change
	Revoked   []Change
	Restored  []Change
	Unchanged int
	// Ignored counts the people listed as not active who are not on the
	// platform: there is nothing to do for them.
	Ignored int
	// Applied is false for a dry run.
	Applied bool
}

// Store is what a directory sync needs of the metadata store, by role;
// navette.MetaStore has them all.
type Store interface {
	navette.UserStore
	navette.CourtStore
	navette.MailboxStore
}

// Sync applies directory listings to the metadata store.
type Sync struct {
	Meta  Store
	Clock navette.Clock
	// Keys seal the access-revoked notices sent to revoked users.
	Keys navette.KeyWrapper
	// NoticesQueued, if set, is called after a sync that queued e-mail.
	NoticesQueued func()
	// Waiting, if set, lists the deposits waiting for a person whose
	// access a sync restores, in the notice that tells them
	// (access_restored).
	Waiting notify.WaitingFor
}
