package deposit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"navette"
	"navette/notify"
	"navette/seal"
)

// A deposit's evidence is a claims document per event that matters to it
// (docs/proofs.md): what a proof needs that must not be in clear in the
// journal (reference, file names, people) and structured facts. Each is a
// JSON object serialised once, at event time: the SHA-256 of those exact
// bytes is the event's Claims, covered by the journal's Merkle tree, and the
// bytes themselves, sealed under the deposit's proof key, are the event's
// SealedClaims, which storage keeps as evidence. The proof key is wrapped
// by a key-encryption key like the deposit key, but the purge leaves it:
// it is destroyed, and the evidence deleted, once the proof retention
// ends.

// DefaultProofRetention is the proof retention when none is set, and the
// least allowed: one year after the purge, as French electronic registered
// letters require (CPCE R53-3).
const DefaultProofRetention = 365 * 24 * time.Hour

// Purposes and associated data of what the evidence seals.
const (
	proofKeyAD    = "proof:" // + deposit id: the wrapped proof key
	claimsPurpose = "claims" // a sealed claims document, id = hex of its digest
)

// Claims is a claims document. Fields a kind does not use are omitted.
type Claims struct {
	V    int               `json:"v"`
	Salt []byte            `json:"salt"` // 16 random bytes, so that a digest cannot be tried against guessed contents
	Kind navette.ProofKind `json:"kind"`

	Deposit      *ClaimsDeposit `json:"deposit,omitempty"`
	Sender       *ClaimsParty   `json:"sender,omitempty"`
	Recipients   []ClaimsParty  `json:"recipients,omitempty"`
	Files        []ClaimsFile   `json:"files,omitempty"`
	By           *ClaimsParty   `json:"by,omitempty"`  // who acted: opener, downloader, the sender who revoked
	For          *ClaimsParty   `json:"for,omitempty"` // the recipient (person or service mailbox) it counts for
	File         *ClaimsFile    `json:"file,omitempty"`
	Notice       *ClaimsNotice  `json:"notice,omitempty"`
	NotFetchedBy []ClaimsParty  `json:"not_fetched_by,omitempty"`
	// PartlyFetchedBy lists, at expiry, the recipients who had downloaded
	// some of the files made available, not all.
	PartlyFetchedBy []ClaimsPartial `json:"partly_fetched_by,omitempty"`
	Antivirus       string          `json:"antivirus,omitempty"` // the antivirus and its version, when a file was scanned and it is known
}

// ClaimsPartial is a recipient who had downloaded some of a deposit's
// files in full at its expiry, not all: the ids of those it had and of
// those it had not.
type ClaimsPartial struct {
	ClaimsParty
	Fetched    []string `json:"fetched"`
	NotFetched []string `json:"not_fetched"`
}

// ClaimsDeposit is what a claims document says of its deposit.
type ClaimsDeposit struct {
	ID            string     `json:"id"`
	Reference     string     `json:"reference,omitempty"`
	CreatedAt     ClaimsTime `json:"created_at,omitzero"`
	ExpiresAt     ClaimsTime `json:"expires_at,omitzero"`
	RetentionDays int        `json:"retention_days,omitempty"`
}

// ClaimsParty is a person or a service mailbox.
type ClaimsParty struct {
	ID    string      `json:"id"`
	Name  string      `json:"name,omitempty"`
	Email string      `json:"email,omitempty"`
	Org   string      `json:"org,omitempty"`
	Kind  string      `json:"kind,omitempty"` // "person" or "service", for recipients
	Auth  *ClaimsAuth `json:"auth,omitempty"`
}

// ClaimsAuth is how someone who acted had signed in.
type ClaimsAuth struct {
	Method string     `json:"method"` // the session's method ("oidc", "ldap", "code+totp", "code+passkey", "passkey"…) or "token"
	At     ClaimsTime `json:"at,omitzero"`
	// Level is the method's assurance (navette.MethodAssurance): "low",
	// "substantial" or "high".
	Level string `json:"level,omitempty"`
}

// ClaimsFile is a file of a deposit.
type ClaimsFile struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"` // hex
	Check  string `json:"check,omitempty"`  // what the content checks found (navette.FileCheck), once decided
}

// ClaimsNotice is a notice the mail server accepted.
type ClaimsNotice struct {
	To         string     `json:"to"`
	MessageID  string     `json:"message_id"`
	AcceptedAt ClaimsTime `json:"accepted_at"`
}

// ClaimsTime is a time as claims documents write it: RFC 3339 in UTC with
// microseconds.
type ClaimsTime time.Time

// claimsTimeLayout writes six fractional digits always.
const claimsTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// MarshalJSON writes t in UTC with microseconds.
func (t ClaimsTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format(claimsTimeLayout))
}

// UnmarshalJSON reads an RFC 3339 time.
func (t *ClaimsTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = ClaimsTime(v.UTC())
	return nil
}

// IsZero reports whether t is the zero time, for omitzero.
func (t ClaimsTime) IsZero() bool { return time.Time(t).IsZero() }

// Time returns t as a time.Time.
func (t ClaimsTime) Time() time.Time { return time.Time(t) }

// ParseClaims reads a claims document.
func ParseClaims(b []byte) (*Claims, error) {
	var c Claims
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "The claims document is not valid JSON.")
	}
	if c.V != 1 {
		return nil, navette.Errorf(navette.EINVALID, "Unknown claims document version %d.", c.V)
	}
	return &c, nil
}

// attach serialises c, with a new salt, and sets e's Claims (its SHA-256)
// and SealedClaims (sealed under k).
func attach(e *navette.Event, k *seal.Key, c *Claims) error {
	c.V = 1
	c.Salt = make([]byte, 16)
	rand.Read(c.Salt)
	c.Kind = e.Type.ProofKind()
	b, err := json.Marshal(c)
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "")
	}
	sum := sha256.Sum256(b)
	e.Claims = sum[:]
	e.SealedClaims = k.SealValue(claimsPurpose, hex.EncodeToString(sum[:]), b)
	return nil
}

// newProofKey gives d a new proof key.
func (s *Service) newProofKey(d *navette.DepositRecord) error {
	w, err := s.Keys.Wrap(seal.GenerateKey(), proofKeyAD+d.ID)
	if err != nil {
		return err
	}
	d.ProofKey = w
	return nil
}

// proofKey opens d's proof key; nil if it has none (a deposit made before
// proofs were kept, or whose proof retention ended).
func (s *Service) proofKey(d *navette.DepositRecord) (*seal.Key, error) {
	if d.ProofKey.IsZero() {
		return nil, nil
	}
	raw, err := s.Keys.Unwrap(d.ProofKey, proofKeyAD+d.ID)
	if err != nil {
		return nil, err
	}
	return seal.NewKey(raw)
}

// OpenClaims returns the claims document of ev, a piece of the evidence of
// deposit d, checked against its digest. Returns EGONE if d's proof key
// was destroyed, EINTERNAL if the evidence does not open or does not match
// its digest.
func (s *Service) OpenClaims(d *navette.DepositRecord, ev *navette.Evidence) ([]byte, error) {
	k, err := s.proofKey(d)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, navette.Errorf(navette.EGONE, "The evidence of this deposit was deleted at the end of its proof retention.")
	}
	return openSealed(k, ev)
}

// openSealed returns the claims document of ev, opened with the proof key
// k and checked against its digest. Returns EINTERNAL if it does not open
// or does not match.
func openSealed(k *seal.Key, ev *navette.Evidence) ([]byte, error) {
	b, err := k.OpenValue(claimsPurpose, hex.EncodeToString(ev.Digest), ev.Sealed)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	if sum := sha256.Sum256(b); subtle.ConstantTimeCompare(sum[:], ev.Digest) != 1 {
		return nil, navette.Errorf(navette.EINTERNAL, "The claims of evidence %x do not match their digest.", ev.Digest)
	}
	return b, nil
}

// openClaims returns the claims of ev, opened with the proof key k.
func openClaims(k *seal.Key, ev *navette.Evidence) (*Claims, error) {
	b, err := openSealed(k, ev)
	if err != nil {
		return nil, err
	}
	return ParseClaims(b)
}

// facts is what the claims of a deposit's events draw on, opened once per
// transaction.
type facts struct {
	s        *Service
	d        *navette.DepositRecord
	files    []*navette.FileRecord
	dk       *seal.Key // nil once purged
	ref      string
	names    map[string]string
	services map[string]bool // the mailboxes the actor is a member of
}

// openFacts opens what d's claims need: its reference and file names, if
// its key is still there.
func (s *Service) openFacts(d *navette.DepositRecord, files []*navette.FileRecord) (*facts, error) {
	f := &facts{s: s, d: d, files: files, names: map[string]string{}}
	if d.Key.IsZero() {
		return f, nil
	}
	k, ref, err := s.openReference(d)
	if err != nil {
		return nil, err
	}
	f.dk, f.ref = k, ref
	for _, fr := range files {
		if len(fr.Name) == 0 {
			continue
		}
		if f.names[fr.ID], err = openText(k, "filename", fr.ID, fr.Name); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// deposit returns the deposit's part of a claims document; whole adds its
// dates and retention.
func (f *facts) deposit(whole bool) *ClaimsDeposit {
	c := &ClaimsDeposit{ID: f.d.ID, Reference: f.ref}
	if whole {
		c.CreatedAt, c.ExpiresAt, c.RetentionDays = ClaimsTime(f.d.CreatedAt), ClaimsTime(f.d.ExpiresAt), f.d.RetentionDays
	}
	return c
}

func (f *facts) file(fr *navette.FileRecord) ClaimsFile {
	c := ClaimsFile{ID: fr.ID, Name: f.names[fr.ID], Size: fr.Size, Check: string(fr.Check)}
	if len(fr.SHA256) > 0 {
		c.SHA256 = hex.EncodeToString(fr.SHA256)
	}
	return c
}

// availableFiles returns the files of the deposit its recipients get.
func (f *facts) availableFiles() []ClaimsFile {
	var out []ClaimsFile
	for _, fr := range f.files {
		if fr.State == navette.FileAvailable {
			out = append(out, f.file(fr))
		}
	}
	return out
}

// submittedFiles returns the files of a deposit being submitted: those
// available, and those still being checked or checked but not yet offered
// (a deposit submitted while its files are checked), the outcome of whose
// checks is not known yet or is.
func (f *facts) submittedFiles() []ClaimsFile {
	var out []ClaimsFile
	for _, fr := range f.files {
		if fr.State == navette.FileAvailable || fr.State == navette.FileChecking || fr.State == navette.FileStored {
			out = append(out, f.file(fr))
		}
	}
	return out
}

func recipientParty(r *navette.Recipient) ClaimsParty {
	kind := "person"
	if r.Role == navette.RoleService {
		kind = "service"
	}
	return ClaimsParty{ID: r.UserID, Name: r.Name, Email: r.Email, Kind: kind}
}

func (f *facts) recipients() []ClaimsParty {
	out := make([]ClaimsParty, 0, len(f.d.Recipients))
	for i := range f.d.Recipients {
		out = append(out, recipientParty(&f.d.Recipients[i]))
	}
	return out
}

func (f *facts) recipient(id string) *ClaimsParty {
	for i := range f.d.Recipients {
		if f.d.Recipients[i].UserID == id {
			p := recipientParty(&f.d.Recipients[i])
			return &p
		}
	}
	return nil
}

// forActor returns the recipient actor counts for: actor in person, or a
// service mailbox actor is a member of.
func (f *facts) forActor(actor *navette.User) *ClaimsParty {
	if p := f.recipient(actor.ID); p != nil {
		return p
	}
	for i := range f.d.Recipients {
		if f.services[f.d.Recipients[i].UserID] {
			p := recipientParty(&f.d.Recipients[i])
			return &p
		}
	}
	return nil
}

// person returns the party of a user who acted, with how they signed in if
// ctx tells.
func person(ctx context.Context, u *navette.User) *ClaimsParty {
	p := &ClaimsParty{ID: u.ID, Name: u.Name, Email: u.Email}
	if si, ok := navette.SignInFromContext(ctx); ok {
		p.Auth = &ClaimsAuth{Method: si.Method, At: ClaimsTime(si.At), Level: string(navette.MethodAssurance(si.Method))}
	}
	return p
}

// withClaims attaches its claims to every event of evs that gives evidence
// about deposit d (whose files are files), acted by actor (nil for the
// system), who is a member of the mailboxes services. It is called in the
// transaction that appends evs, so that the claims state what the events
// do. A deposit that has no proof key yet but still its deposit key (made
// before proofs were kept) is given one; one without either gets no claims.
func (s *Service) withClaims(ctx context.Context, d *navette.DepositRecord, files []*navette.FileRecord, actor *navette.User, services map[string]bool, evs []navette.Event) ([]navette.Event, error) {
	if !givesEvidence(d, evs) {
		return evs, nil
	}
	pk, err := s.claimsKey(d)
	if err != nil {
		return nil, err
	}
	if pk == nil {
		return evs, nil
	}
	f, err := s.openFacts(d, files)
	if err != nil {
		return nil, err
	}
	f.services = services
	cl := &claimer{s: s, ctx: ctx, d: d, files: files, actor: actor, f: f, pk: pk, avail: f.availableFiles()}
	if err := cl.attachAll(evs, pk); err != nil {
		return nil, err
	}
	return evs, nil
}

// claimsKey returns the proof key of deposit d, which seals the claims of
// its events, giving d one first if it has none but still its deposit key
// (made before proofs were kept); nil if it has neither.
func (s *Service) claimsKey(d *navette.DepositRecord) (*seal.Key, error) {
	if d.ProofKey.IsZero() && !d.Key.IsZero() {
		if err := s.newProofKey(d); err != nil {
			return nil, err
		}
	}
	return s.proofKey(d)
}

// givesEvidence reports whether an event of evs gives evidence about
// deposit d.
func givesEvidence(d *navette.DepositRecord, evs []navette.Event) bool {
	for i := range evs {
		if evs[i].Type.ProofKind() != "" && evs[i].Type != navette.EventNoticeSent && evs[i].DepositID == d.ID {
			return true
		}
	}
	return false
}

// claimer states the claims of the events of one call of withClaims.
type claimer struct {
	s      *Service
	ctx    context.Context
	d      *navette.DepositRecord
	files  []*navette.FileRecord
	actor  *navette.User // nil for the system
	f      *facts
	pk     *seal.Key // the deposit's proof key
	avail  []ClaimsFile
	purged bool // whether a deposit.purged event was given the claims
}

// attachAll attaches, sealed with pk, their claims to the events of evs
// about the claimer's deposit that have claims and were not given them yet.
func (cl *claimer) attachAll(evs []navette.Event, pk *seal.Key) error {
	for i := range evs {
		e := &evs[i]
		if e.DepositID != cl.d.ID || len(e.Claims) > 0 {
			continue
		}
		c, err := cl.claims(e)
		if err != nil {
			return err
		}
		if c == nil {
			continue
		}
		if err := attach(e, pk, c); err != nil {
			return err
		}
	}
	return nil
}

// claims returns the claims of the event e, nil if it has none.
func (cl *claimer) claims(e *navette.Event) (*Claims, error) {
	f, actor := cl.f, cl.actor
	var c *Claims
	switch e.Type {
	case navette.EventDepositSubmitted:
		c = &Claims{Deposit: f.deposit(true), Recipients: f.recipients(), Files: f.submittedFiles()}
		c.Antivirus = cl.s.antivirus(cl.ctx, c.Files)
		if actor != nil {
			c.Sender = person(cl.ctx, actor)
			c.Sender.Org = actor.Org
		}
	case navette.EventDepositAvailable:
		c = &Claims{Deposit: f.deposit(true), Recipients: f.recipients(), Files: f.availableFiles()}
		c.Antivirus = cl.s.antivirus(cl.ctx, c.Files)
	case navette.EventDepositOpened:
		c = &Claims{Deposit: f.deposit(false), For: f.recipient(e.Detail)}
		if actor != nil {
			c.By = person(cl.ctx, actor)
		}
	case navette.EventFileDownloaded:
		c = cl.downloaded(e)
	case navette.EventDepositExpired:
		return cl.expired()
	case navette.EventDepositRevoked, navette.EventDepositExtended:
		c = &Claims{Deposit: f.deposit(true)}
		if actor != nil {
			c.By = person(cl.ctx, actor)
		}
	case navette.EventDepositPurged:
		c = cl.purgedClaims(e)
	}
	return c, nil
}

// downloaded returns the claims of the download of a file, e.
func (cl *claimer) downloaded(e *navette.Event) *Claims {
	c := &Claims{Deposit: cl.f.deposit(false)}
	for _, fr := range cl.files {
		if fr.ID == e.FileID {
			cf := cl.f.file(fr)
			c.File = &cf
		}
	}
	if cl.actor != nil {
		c.By, c.For = person(cl.ctx, cl.actor), cl.f.forActor(cl.actor)
	}
	return c
}

// expired returns the claims of the deposit's expiry: the files made
// available, who never fetched any and who fetched some but not all, and
// which; nil if every recipient fetched every file, as nothing went
// unclaimed.
func (cl *claimer) expired() (*Claims, error) {
	fetched, err := cl.fetched()
	if err != nil {
		return nil, err
	}
	c := &Claims{Deposit: cl.f.deposit(true), Recipients: cl.f.recipients(), Files: cl.avail}
	for i := range cl.d.Recipients {
		r := &cl.d.Recipients[i]
		if r.FirstDownloadAt.IsZero() {
			c.NotFetchedBy = append(c.NotFetchedBy, ClaimsParty{ID: r.UserID, Name: r.Name, Email: r.Email})
			continue
		}
		p := ClaimsPartial{ClaimsParty: recipientParty(r), Fetched: []string{}, NotFetched: []string{}}
		for _, f := range cl.avail {
			if fetched[r.UserID][f.ID] {
				p.Fetched = append(p.Fetched, f.ID)
			} else {
				p.NotFetched = append(p.NotFetched, f.ID)
			}
		}
		if len(p.NotFetched) > 0 {
			c.PartlyFetchedBy = append(c.PartlyFetchedBy, p)
		}
	}
	if len(c.NotFetchedBy) == 0 && len(c.PartlyFetchedBy) == 0 {
		return nil, nil
	}
	return c, nil
}

// fetched returns, by recipient, the files of the deposit downloaded in
// full for it: by the recipient in person, or for a service mailbox by the
// member who first downloaded for it, by any of its members now, or by
// one who has left it since but was a member then (formerFetched).
func (cl *claimer) fetched() (map[string]map[string]bool, error) {
	downloads, err := cl.s.completeDownloads(cl.ctx, cl.d.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]bool{}
	former := map[string]bool{}
	for actor, files := range downloads {
		ms, err := cl.s.Meta.Memberships(cl.ctx, actor)
		if err != nil {
			return nil, err
		}
		former[actor] = true
		for i := range cl.d.Recipients {
			r := &cl.d.Recipients[i]
			if r.UserID != actor && r.FirstDownloadBy != actor && !slices.ContainsFunc(ms, func(m *navette.Member) bool { return m.ServiceID == r.UserID }) {
				continue
			}
			delete(former, actor)
			for f := range files {
				fetchedBy(out, r.UserID, f)
			}
		}
	}
	return out, cl.formerFetched(out, former)
}

// fetchedBy records in out that file was fetched for recipient.
func fetchedBy(out map[string]map[string]bool, recipient, file string) {
	if out[recipient] == nil {
		out[recipient] = map[string]bool{}
	}
	out[recipient][file] = true
}

// formerFetched adds to out the files that the people of actors, who stand
// for no recipient now, downloaded for a recipient as a member of its
// service mailbox: each download's own claims name the recipient it
// counted for then (For). A deposit without them (made before proofs were
// kept) adds nothing.
func (cl *claimer) formerFetched(out map[string]map[string]bool, actors map[string]bool) error {
	es, ok := cl.s.Meta.(navette.EvidenceStore)
	if len(actors) == 0 || !ok || cl.pk == nil {
		return nil
	}
	evs, err := es.DepositEvidence(cl.ctx, cl.d.ID)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if ev.Kind != navette.ProofDownloaded {
			continue
		}
		c, err := openClaims(cl.pk, ev)
		if err != nil {
			return err
		}
		if c.By != nil && actors[c.By.ID] && c.For != nil && c.File != nil && cl.f.recipient(c.For.ID) != nil {
			fetchedBy(out, c.For.ID, c.File.ID)
		}
	}
	return nil
}

// purgedClaims returns the claims of the deposit's purge: one
// deposit.purged event per file, the first of a file they list carries
// them; nil for the others.
func (cl *claimer) purgedClaims(e *navette.Event) *Claims {
	if cl.purged || (len(cl.avail) > 0 && !slices.ContainsFunc(cl.avail, func(cf ClaimsFile) bool { return cf.ID == e.FileID })) {
		return nil
	}
	cl.purged = true
	return &Claims{Deposit: cl.f.deposit(true), Recipients: cl.f.recipients(), Files: cl.avail}
}

// antivirus names the antivirus and its version (AntivirusVersion) for
// claims whose files it scanned, if it is known.
func (s *Service) antivirus(ctx context.Context, files []ClaimsFile) string {
	if s.AntivirusVersion == nil || !slices.ContainsFunc(files, func(f ClaimsFile) bool {
		return f.Check != "" && f.Check != string(navette.CheckUnscanned)
	}) {
		return ""
	}
	return navette.CleanDetail(s.AntivirusVersion(ctx))
}

// NoticeClaims returns the claims of the "notified" evidence for notice
// n, which the mail server accepted at at as message m: for the notices
// that tell a recipient of a deposit (deposit, reminder) of a deposit that
// has a proof key, its digest and the claims sealed; nil otherwise. It is
// the notify.Worker's Evidence.
func (s *Service) NoticeClaims(ctx context.Context, n *navette.Notice, m *notify.Message, at time.Time) (digest, sealed []byte, err error) {
	if n.DepositID == "" || (n.Kind != navette.NoticeDeposit && n.Kind != navette.NoticeReminder) {
		return nil, nil, nil
	}
	d, err := s.Meta.Deposit(ctx, n.DepositID)
	if err != nil {
		return nil, nil, err
	}
	pk, err := s.proofKey(d)
	if err != nil || pk == nil {
		return nil, nil, err
	}
	f, err := s.openFacts(d, nil)
	if err != nil {
		return nil, nil, err
	}
	c := &Claims{Deposit: f.deposit(false), For: f.recipient(n.UserID),
		Notice: &ClaimsNotice{To: m.To.Email, MessageID: m.ID, AcceptedAt: ClaimsTime(at)}}
	e := navette.Event{Type: navette.EventNoticeSent}
	if err := attach(&e, pk, c); err != nil {
		return nil, nil, err
	}
	return e.Claims, e.SealedClaims, nil
}

// provenFacts returns the reference and file names of a purged deposit as
// its evidence keeps them until the end of its proof retention: from the
// claims of its purge, or of its submission; empty if it has none.
func (s *Service) provenFacts(ctx context.Context, d *navette.DepositRecord) (string, map[string]string, error) {
	es := s.evidence()
	if es == nil || d.ProofKey.IsZero() {
		return "", nil, nil
	}
	evs, err := es.DepositEvidence(ctx, d.ID)
	if err != nil {
		return "", nil, err
	}
	best := lastingEvidence(evs)
	if best == nil {
		return "", nil, nil
	}
	b, err := s.OpenClaims(d, best)
	if err != nil {
		return "", nil, err
	}
	c, err := ParseClaims(b)
	if err != nil {
		return "", nil, err
	}
	ref, names := c.referenceAndNames()
	return ref, names, nil
}

// lastingEvidence returns the piece of evs whose claims keep a deposit's
// reference and file names best: the last purge, else the first
// submission; nil if there is neither.
func lastingEvidence(evs []*navette.Evidence) *navette.Evidence {
	var best *navette.Evidence
	for _, ev := range evs {
		if ev.Kind == navette.ProofPurged || (ev.Kind == navette.ProofDeposited && best == nil) {
			best = ev
		}
	}
	return best
}

// referenceAndNames returns the deposit's reference the claims state, if
// any, and the names of their files by id.
func (c *Claims) referenceAndNames() (string, map[string]string) {
	names := map[string]string{}
	for _, f := range c.Files {
		names[f.ID] = f.Name
	}
	if c.Deposit == nil {
		return "", names
	}
	return c.Deposit.Reference, names
}
