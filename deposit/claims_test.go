package deposit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/deposit"
	"navette/notify"
)

// evidence returns the claims of deposit id, opened, by kind, in order.
func (f *fixture) evidence(t *testing.T, id string) map[navette.ProofKind][]*deposit.Claims {
	t.Helper()
	ctx := context.Background()
	es := f.svc.Meta.(navette.EvidenceStore)
	evs, err := es.DepositEvidence(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Meta.Deposit(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[navette.ProofKind][]*deposit.Claims{}
	for _, ev := range evs {
		b, err := f.svc.OpenClaims(d, ev)
		if err != nil {
			t.Fatalf("claims %s: %v", ev.Kind, err)
		}
		if sum := sha256.Sum256(b); !bytes.Equal(sum[:], ev.Digest) {
			t.Errorf("claims %s do not hash to their digest", ev.Kind)
		}
		c, err := deposit.ParseClaims(b)
		if err != nil {
			t.Fatalf("claims %s: %v", ev.Kind, err)
		}
		if c.Kind != ev.Kind || len(c.Salt) != 16 {
			t.Errorf("claims of kind %q (evidence %q), salt of %d bytes", c.Kind, ev.Kind, len(c.Salt))
		}
		if c.Deposit == nil || c.Deposit.ID != id {
			t.Errorf("claims %s about deposit %+v, want %s", ev.Kind, c.Deposit, id)
		}
		out[ev.Kind] = append(out[ev.Kind], c)
	}
	return out
}

func signedIn(method string, at time.Time) context.Context {
	return navette.NewContextWithSignIn(context.Background(), navette.SignIn{Method: method, At: at})
}

// TestClaimsOfEveryKind follows two deposits through their lives, one
// downloaded by one recipient and left unclaimed by the other, then
// expired, the other revoked, and checks the claims each event left: there,
// opening, stating what they must; still stating the reference and file
// names after the purge; gone at the end of the proof retention, with an
// evidence.deleted event; and never in clear in the database.
func TestClaimsOfEveryKind(t *testing.T) {
	fx := newFixture(t)
	clock := fx.svc.Clock.(*navette.FakeClock)
	acc := &account.Service{Meta: fx.meta, Clock: clock}
	ctx := context.Background()
	other, err := acc.CreateUser(ctx, "huissier@etude.example", "Huissier", navette.RolePartner)
	if err != nil {
		t.Fatal(err)
	}
	signIn := clock.Now().Add(-time.Hour)
	senderCtx := signedIn("oidc", signIn)
	recipientCtx := signedIn("code+totp", signIn.Add(time.Minute))

	const ref, name, body = "RG 26/00042 Dupont c. Durand", "conclusions-dupont.pdf", "le contenu des conclusions"
	v, err := fx.svc.Create(senderCtx, fx.sender, deposit.Draft{Recipients: []string{fx.recipient.Email, other.Email}, Reference: ref, RetentionDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	file, err := fx.svc.StartFile(senderCtx, fx.sender, v.ID, name, int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Write(senderCtx, fx.sender, file.ID, 0, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Finish(senderCtx, fx.sender, file.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Submit(senderCtx, fx.sender, v.ID); err != nil {
		t.Fatal(err)
	}
	submitted := clock.Now()

	// The notices to the recipients are accepted by the mail system (here
	// the local outbox): each leaves a "notified" evidence.
	outbox := notify.NewOutbox(t.TempDir(), fx.svc.Keys)
	r, err := notify.NewRenderer("https://navette.example", notify.Address{Email: "noreply@navette.example"}, false)
	if err != nil {
		t.Fatal(err)
	}
	w := &notify.Worker{Meta: fx.meta, Keys: fx.svc.Keys, Mailer: outbox, Renderer: r, Clock: clock, Evidence: fx.svc.NoticeClaims}
	clock.Advance(time.Minute)
	if n, err := w.RunOnce(ctx); err != nil || n != 2 {
		t.Fatalf("RunOnce: %d, %v", n, err)
	}
	notifiedAt := clock.Now()

	clock.Advance(time.Hour)
	if _, err := fx.svc.Get(recipientCtx, fx.recipient, v.ID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	dl, err := fx.svc.OpenFile(recipientCtx, fx.recipient, v.ID, file.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := dl.WriteRange(recipientCtx, &got, 0, dl.Size()); err != nil || got.String() != body {
		t.Fatalf("download: %q, %v", got.String(), err)
	}
	downloaded := clock.Now()

	// A second deposit, revoked.
	v2, err := fx.svc.Create(senderCtx, fx.sender, deposit.Draft{Recipients: []string{fx.recipient.Email}, Reference: "RG 26/00043"})
	if err != nil {
		t.Fatal(err)
	}
	f2, err := fx.svc.StartFile(senderCtx, fx.sender, v2.ID, "piece.pdf", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Write(senderCtx, fx.sender, f2.ID, 0, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Finish(senderCtx, fx.sender, f2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Submit(senderCtx, fx.sender, v2.ID); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Revoke(senderCtx, fx.sender, v2.ID); err != nil {
		t.Fatal(err)
	}

	sum := sha256.Sum256([]byte(body))
	wantFile := deposit.ClaimsFile{ID: file.ID, Name: name, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]), Check: "unscanned"}
	checkWhole := func(what string, c *deposit.Claims) {
		t.Helper()
		if c.Deposit.Reference != ref || c.Deposit.RetentionDays != 7 || c.Deposit.CreatedAt.Time() != v.CreatedAt ||
			c.Deposit.ExpiresAt.Time() != submitted.Add(7*24*time.Hour) {
			t.Errorf("%s: deposit %+v", what, c.Deposit)
		}
		if len(c.Files) != 1 || c.Files[0] != wantFile {
			t.Errorf("%s: files %+v, want %+v", what, c.Files, wantFile)
		}
		if len(c.Recipients) != 2 || c.Recipients[0].Email != fx.recipient.Email || c.Recipients[0].Kind != "person" || c.Recipients[1].ID != other.ID {
			t.Errorf("%s: recipients %+v", what, c.Recipients)
		}
	}
	live := fx.evidence(t, v.ID)
	for _, k := range []navette.ProofKind{navette.ProofDeposited, navette.ProofAvailable, navette.ProofOpened, navette.ProofDownloaded} {
		if len(live[k]) != 1 {
			t.Fatalf("%d claims of kind %s, want 1", len(live[k]), k)
		}
	}
	dep := live[navette.ProofDeposited][0]
	checkWhole("deposited", dep)
	if dep.Sender == nil || dep.Sender.Email != fx.sender.Email || dep.Sender.Auth == nil || dep.Sender.Auth.Method != "oidc" || dep.Sender.Auth.At.Time() != signIn {
		t.Errorf("deposited: sender %+v", dep.Sender)
	}
	checkWhole("available", live[navette.ProofAvailable][0])

	if n := live[navette.ProofNotified]; len(n) != 2 {
		t.Fatalf("%d notified claims, want 2", len(n))
	}
	for _, c := range live[navette.ProofNotified] {
		if c.Notice == nil || c.For == nil || c.Notice.To != c.For.Email || !strings.HasSuffix(c.Notice.MessageID, "@navette.example") ||
			c.Notice.AcceptedAt.Time() != notifiedAt || c.Deposit.Reference != ref {
			t.Errorf("notified: %+v for %+v", c.Notice, c.For)
		}
	}
	msgs, err := outbox.List(10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("outbox: %d, %v", len(msgs), err)
	}
	ids := map[string]bool{msgs[0].ID: true, msgs[1].ID: true}
	for _, c := range live[navette.ProofNotified] {
		if !ids[c.Notice.MessageID] {
			t.Errorf("notified: Message-ID %s is not one the mail system got (%v)", c.Notice.MessageID, ids)
		}
	}

	op := live[navette.ProofOpened][0]
	if op.By == nil || op.By.ID != fx.recipient.ID || op.By.Auth == nil || op.By.Auth.Method != "code+totp" || op.By.Auth.Level != "substantial" || op.By.Auth.At.Time() != signIn.Add(time.Minute) ||
		op.For == nil || op.For.ID != fx.recipient.ID || op.Deposit.Reference != ref {
		t.Errorf("opened: by %+v for %+v", op.By, op.For)
	}
	down := live[navette.ProofDownloaded][0]
	if down.File == nil || *down.File != wantFile || down.By == nil || down.By.Email != fx.recipient.Email || down.By.Auth == nil ||
		down.By.Auth.Method != "code+totp" || down.For == nil || down.For.ID != fx.recipient.ID {
		t.Errorf("downloaded: file %+v by %+v for %+v", down.File, down.By, down.For)
	}
	if evs, _ := fx.svc.Meta.Events(ctx, navette.EventFilter{DepositID: v.ID}); !hasEventAt(evs, navette.EventFileDownloaded, downloaded) {
		t.Errorf("no file.downloaded event at %v", downloaded)
	}

	rev := fx.evidence(t, v2.ID)[navette.ProofRevoked]
	if len(rev) != 1 || rev[0].By == nil || rev[0].By.ID != fx.sender.ID || rev[0].Deposit.Reference != "RG 26/00043" {
		t.Errorf("revoked: %+v", rev)
	}

	// Expiry, then purge: the expired deposit leaves "unclaimed" claims
	// naming who never fetched; both leave "purged" claims that still
	// give the reference and file names.
	clock.Advance(8 * 24 * time.Hour)
	st, err := fx.svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Purged != 2 || st.Expired != 1 {
		t.Fatalf("sweep: %+v", st)
	}
	purgedAt := clock.Now()
	rec, err := fx.svc.Meta.Deposit(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Key.IsZero() || rec.ProofKey.IsZero() || rec.ProofUntil != purgedAt.Add(deposit.DefaultProofRetention) {
		t.Errorf("after purge: key %+v, proof key %+v, proof until %v", rec.Key, rec.ProofKey, rec.ProofUntil)
	}
	clock.Advance(deposit.DefaultProofRetention - time.Second)
	if st, err := fx.svc.Sweep(ctx); err != nil || st.ProofsEnded != 0 {
		t.Fatalf("sweep a second before the proof retention ends: %+v, %v", st, err)
	}
	gone := fx.evidence(t, v.ID)
	un := gone[navette.ProofUnclaimed]
	if len(un) != 1 || len(un[0].NotFetchedBy) != 1 || un[0].NotFetchedBy[0].ID != other.ID || un[0].Deposit.Reference != ref {
		t.Errorf("unclaimed: %+v", un)
	}
	pu := gone[navette.ProofPurged]
	if len(pu) != 1 {
		t.Fatalf("%d purged claims, want 1", len(pu))
	}
	checkWhole("purged a year later", pu[0])
	if view, err := fx.svc.Get(ctx, fx.sender, v.ID); err != nil || view.Reference != ref || len(view.Files) != 1 || view.Files[0].Name != name {
		t.Errorf("the sender's view of the purged deposit a year later: %+v, %v", view, err)
	}
	checkWhole("deposited a year later", gone[navette.ProofDeposited][0])
	if pu2 := fx.evidence(t, v2.ID)[navette.ProofPurged]; len(pu2) != 1 || pu2[0].Deposit.Reference != "RG 26/00043" || len(pu2[0].Files) != 1 || pu2[0].Files[0].Name != "piece.pdf" {
		t.Errorf("purged after revocation: %+v", pu2)
	}

	// Never in clear in the database.
	if err := fx.svc.Meta.(interface{ Checkpoint(context.Context) error }).Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	dbFiles, _ := filepath.Glob(filepath.Join(filepath.Dir(fx.dbPath), "navette.db*"))
	if len(dbFiles) == 0 {
		t.Fatal("no database file")
	}
	for _, p := range dbFiles {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{ref, name, "RG 26/00043", "piece.pdf", `"kind"`} {
			if bytes.Contains(b, []byte(c)) {
				t.Errorf("%s holds %q in clear", p, c)
			}
		}
	}

	// At the end of the proof retention the evidence goes, journaled.
	clock.Advance(time.Second)
	st, err = fx.svc.Sweep(ctx)
	if err != nil || st.ProofsEnded != 2 {
		t.Fatalf("sweep at the end of the proof retention: %+v, %v", st, err)
	}
	for _, id := range []string{v.ID, v2.ID} {
		if evs, err := fx.svc.Meta.(navette.EvidenceStore).DepositEvidence(ctx, id); err != nil || len(evs) != 0 {
			t.Errorf("evidence left after the proof retention: %d, %v", len(evs), err)
		}
		rec, err := fx.svc.Meta.Deposit(ctx, id)
		if err != nil || !rec.ProofKey.IsZero() {
			t.Errorf("proof key left after the proof retention: %+v, %v", rec.ProofKey, err)
		}
		evs, _ := fx.svc.Meta.Events(ctx, navette.EventFilter{DepositID: id})
		if !hasEventAt(evs, navette.EventEvidenceDeleted, clock.Now()) {
			t.Errorf("no evidence.deleted event for %s", id)
		}
	}
	if st, err := fx.svc.Sweep(ctx); err != nil || st.ProofsEnded != 0 {
		t.Errorf("second sweep: %+v, %v", st, err)
	}
	if view, err := fx.svc.Get(ctx, fx.sender, v.ID); err != nil || view.Reference != "" || view.Files[0].Name != "" {
		t.Errorf("the sender's view after the proof retention: %+v, %v", view, err)
	}
}

func hasEventAt(evs []navette.Event, typ navette.EventType, at time.Time) bool {
	for _, e := range evs {
		if e.Type == typ && e.Time.Equal(at) {
			return true
		}
	}
	return false
}

// mailbox makes a service mailbox and an agent who is its member.
func (f *fixture) mailbox(t *testing.T) (box, member *navette.User) {
	t.Helper()
	ctx := context.Background()
	clock := f.svc.Clock.(*navette.FakeClock)
	box = &navette.User{ID: navette.NewID(), Email: "greffe.civil@tj.example", Name: "Greffe civil", Role: navette.RoleService, CreatedAt: clock.Now()}
	if err := f.svc.Meta.CreateUser(ctx, box); err != nil {
		t.Fatal(err)
	}
	member, err := (&account.Service{Meta: f.meta, Clock: clock}).CreateUser(ctx, "agent@tj.example", "Agent", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Meta.AddMember(ctx, &navette.Member{ServiceID: box.ID, UserID: member.ID, CreatedAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	return box, member
}

// submitNamed adds to the draft id a file per name, holding its name,
// and submits it; it returns the files' ids, in order.
func (f *fixture) submitNamed(t *testing.T, id string, names ...string) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for _, name := range names {
		fr, err := f.svc.StartFile(ctx, f.sender, id, name, int64(len(name)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Write(ctx, f.sender, fr.ID, 0, strings.NewReader(name)); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Finish(ctx, f.sender, fr.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fr.ID)
	}
	if _, err := f.svc.Submit(ctx, f.sender, id); err != nil {
		t.Fatal(err)
	}
	return ids
}

// expireUnclaimed has the deposit id, of a week's retention, expire, and
// returns its "unclaimed" claims.
func (f *fixture) expireUnclaimed(t *testing.T, id string) *deposit.Claims {
	t.Helper()
	f.svc.Clock.(*navette.FakeClock).Advance(8 * 24 * time.Hour)
	if st, err := f.svc.Sweep(context.Background()); err != nil || st.Expired != 1 {
		t.Fatalf("sweep: %+v, %v", st, err)
	}
	un := f.evidence(t, id)[navette.ProofUnclaimed]
	if len(un) != 1 {
		t.Fatalf("%d unclaimed claims, want 1", len(un))
	}
	return un[0]
}

// TestClaimsOfAMailbox checks that a download by a member of a recipient
// service mailbox counts for the mailbox, and that a deposit made before
// proofs were kept gets a proof key at its next event.
func TestClaimsOfAMailbox(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	svc, member := fx.mailbox(t)
	v, err := fx.svc.Create(ctx, fx.sender, deposit.Draft{Recipients: []string{svc.Email}, Reference: "RG 1"})
	if err != nil {
		t.Fatal(err)
	}
	// As if made before proofs were kept.
	err = fx.svc.Meta.UpdateDeposit(ctx, v.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		d.ProofKey = navette.WrappedKey{}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fx.svc.StartFile(ctx, fx.sender, v.ID, "a.pdf", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Write(ctx, fx.sender, f.ID, 0, strings.NewReader("a")); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Finish(ctx, fx.sender, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Submit(ctx, fx.sender, v.ID); err != nil {
		t.Fatal(err)
	}
	dl, err := fx.svc.OpenFile(ctx, member, v.ID, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dl.WriteRange(ctx, &bytes.Buffer{}, 0, 1); err != nil {
		t.Fatal(err)
	}
	ev := fx.evidence(t, v.ID)
	down := ev[navette.ProofDownloaded]
	if len(down) != 1 || down[0].By.ID != member.ID || down[0].By.Auth != nil || down[0].For == nil || down[0].For.ID != svc.ID || down[0].For.Kind != "service" {
		t.Fatalf("downloaded by a member: %+v", down)
	}
	if op := ev[navette.ProofOpened]; len(op) != 1 || op[0].For.ID != svc.ID || op[0].By.ID != member.ID {
		t.Errorf("opened by a member: %+v", op)
	}
	if len(ev[navette.ProofDeposited]) != 1 {
		t.Errorf("a deposit made before proofs were kept got no proof key at submission")
	}
}

// TestUnclaimedClaimsListTheFiles expires a deposit of three files made
// available to a lawyer who downloaded one of them, to a bailiff who
// downloaded none and to a service mailbox one member of which downloaded
// all three: its "unclaimed" claims list the three files made available
// (name, size, SHA-256), the bailiff among those who fetched nothing, and
// the lawyer among those who fetched some, with exactly which.
func TestUnclaimedClaimsListTheFiles(t *testing.T) {
	fx := newFixture(t)
	clock := fx.svc.Clock.(*navette.FakeClock)
	ctx := context.Background()
	acc := &account.Service{Meta: fx.meta, Clock: clock}
	bailiff, err := acc.CreateUser(ctx, "huissier@etude.example", "Huissier", navette.RolePartner)
	if err != nil {
		t.Fatal(err)
	}
	box, member := fx.mailbox(t)
	v, err := fx.svc.Create(ctx, fx.sender, deposit.Draft{Recipients: []string{fx.recipient.Email, bailiff.Email, box.Email}, Reference: "RG 26/7", RetentionDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"a.pdf", "b.pdf", "c.pdf"}
	var files []deposit.ClaimsFile
	for i, id := range fx.submitNamed(t, v.ID, names...) {
		sum := sha256.Sum256([]byte(names[i]))
		files = append(files, deposit.ClaimsFile{ID: id, Name: names[i], Size: int64(len(names[i])), SHA256: hex.EncodeToString(sum[:]), Check: "unscanned"})
	}
	fx.downloadAs(t, fx.recipient, v.ID, files[0].ID)
	for _, f := range files {
		fx.downloadAs(t, member, v.ID, f.ID)
	}
	c := fx.expireUnclaimed(t, v.ID)
	byID := func(a, b deposit.ClaimsFile) int { return strings.Compare(a.ID, b.ID) }
	lawyers := files[0].ID
	slices.SortFunc(files, byID)
	if !slices.Equal(c.Files, files) {
		t.Errorf("files made available: %+v, want %+v", c.Files, files)
	}
	if len(c.NotFetchedBy) != 1 || c.NotFetchedBy[0].ID != bailiff.ID {
		t.Errorf("not fetched by %+v, want the bailiff alone", c.NotFetchedBy)
	}
	if len(c.PartlyFetchedBy) != 1 {
		t.Fatalf("partly fetched by %+v, want the lawyer alone", c.PartlyFetchedBy)
	}
	p := c.PartlyFetchedBy[0]
	var others []string
	for _, f := range files {
		if f.ID != lawyers {
			others = append(others, f.ID)
		}
	}
	if p.ID != fx.recipient.ID || p.Email != fx.recipient.Email || !slices.Equal(p.Fetched, []string{lawyers}) || !slices.Equal(p.NotFetched, others) {
		t.Errorf("the lawyer fetched %v and not %v, want %s and not %v", p.Fetched, p.NotFetched, lawyers, others)
	}
}

// TestUnclaimedCountsAFormerMember: a deposit of three files to a service
// mailbox, one member of which fetched the first file (the mailbox's first
// download) and another every file before leaving the mailbox: at expiry,
// what that one fetched as a member still counts for the mailbox, which
// the "unclaimed" claims do not list as having missed any file.
func TestUnclaimedCountsAFormerMember(t *testing.T) {
	fx := newFixture(t)
	clock := fx.svc.Clock.(*navette.FakeClock)
	ctx := context.Background()
	box, first := fx.mailbox(t)
	leaver, err := (&account.Service{Meta: fx.meta, Clock: clock}).CreateUser(ctx, "partant@tj.example", "Partant", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Meta.AddMember(ctx, &navette.Member{ServiceID: box.ID, UserID: leaver.ID, CreatedAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	v, err := fx.svc.Create(ctx, fx.sender, deposit.Draft{Recipients: []string{box.Email, fx.recipient.Email}, Reference: "RG 26/9", RetentionDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	ids := fx.submitNamed(t, v.ID, "a.pdf", "b.pdf", "c.pdf")
	fx.downloadAs(t, first, v.ID, ids[0])
	for _, id := range ids {
		fx.downloadAs(t, leaver, v.ID, id)
	}
	fx.downloadAs(t, fx.recipient, v.ID, ids[0])
	if err := fx.svc.Meta.RemoveMember(ctx, box.ID, leaver.ID); err != nil {
		t.Fatal(err)
	}
	c := fx.expireUnclaimed(t, v.ID)
	if len(c.NotFetchedBy) != 0 {
		t.Errorf("not fetched by %+v, want nobody", c.NotFetchedBy)
	}
	if len(c.PartlyFetchedBy) != 1 || c.PartlyFetchedBy[0].ID != fx.recipient.ID {
		t.Errorf("partly fetched by %+v, want the lawyer alone (not the mailbox: a member at the time fetched every file)", c.PartlyFetchedBy)
	}
}
