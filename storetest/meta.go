package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
)

// TestMetaStore runs the conformance suite for navette.MetaStore: the
// suite of each of its roles, and of the optional roles EvidenceStore,
// StatsStore and JobStore, as subtests named for the role. open must return a new,
// empty store for each subtest and release it with t.Cleanup. The subtests
// run one after the other; some of them call the store from several
// goroutines at once.
func TestMetaStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	for _, r := range roleSuites {
		t.Run(r.role, func(t *testing.T) { r.run(t, open) })
	}
}

// metaEpoch is the fixed time the suite's clock starts at: UTC, to the
// microsecond, as storage keeps it.
var metaEpoch = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// errMetaTest is what the functions given to UpdateDeposit and UpdateFile
// return to make them fail.
type errMetaTest struct{ n int }

func (e *errMetaTest) Error() string { return fmt.Sprintf("test failure %d", e.n) }

// metaFixture is a store under test with a clock and helpers to fill it.
type metaFixture struct {
	t     *testing.T
	s     navette.MetaStore
	ctx   context.Context
	clock *navette.FakeClock
}

// now returns the clock's time and moves it on by a second, so that records
// made one after the other have distinct, ordered creation times.
func (m *metaFixture) now() time.Time {
	t := m.clock.Now()
	m.clock.Advance(time.Second)
	return t
}

// user creates a user named name, whose e-mail address begins with name.
func (m *metaFixture) user(name string) *navette.User {
	m.t.Helper()
	u := &navette.User{
		ID:        navette.NewID(),
		Email:     strings.ToLower(name) + "@example.org",
		Name:      name,
		Role:      navette.RolePartner,
		CreatedAt: m.now(),
	}
	if err := m.s.CreateUser(m.ctx, u); err != nil {
		m.t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

// newDeposit returns a deposit in state draft from sender to recipients,
// with every field a draft has set, not yet stored. Its recipients carry
// e-mail, name, role and disabled flag, sorted by e-mail, as storage returns
// them.
func (m *metaFixture) newDeposit(sender *navette.User, recipients ...*navette.User) *navette.DepositRecord {
	d := &navette.DepositRecord{
		ID:            navette.NewID(),
		SenderID:      sender.ID,
		State:         navette.DepositDraft,
		RetentionDays: 7,
		Key:           navette.WrappedKey{KeyID: "kek-1", Data: metaRandom(40)},
		Reference:     metaRandom(30),
		Message:       metaRandom(50),
		CreatedAt:     m.now(),
		NotifySender:  true,
		MaxDownloads:  3,
	}
	for _, r := range recipients {
		d.Recipients = append(d.Recipients, navette.Recipient{UserID: r.ID, Email: r.Email, Name: r.Name, Role: r.Role, Disabled: r.Disabled})
	}
	slices.SortFunc(d.Recipients, func(a, b navette.Recipient) int { return strings.Compare(a.Email, b.Email) })
	return d
}

// deposit creates a deposit from sender to recipients in the given state,
// with the times that state implies.
func (m *metaFixture) deposit(state navette.DepositState, sender *navette.User, recipients ...*navette.User) *navette.DepositRecord {
	m.t.Helper()
	d := m.newDeposit(sender, recipients...)
	metaSetState(d, state)
	if err := m.s.CreateDeposit(m.ctx, d); err != nil {
		m.t.Fatalf("CreateDeposit: %v", err)
	}
	return d
}

// metaSetState puts d in state, setting the times it implies from its
// creation time.
func metaSetState(d *navette.DepositRecord, state navette.DepositState) {
	d.State = state
	if state == navette.DepositDraft {
		return
	}
	d.SubmittedAt = d.CreatedAt.Add(time.Minute)
	if state == navette.DepositChecking {
		return
	}
	d.AvailableAt = d.CreatedAt.Add(2 * time.Minute)
	d.ExpiresAt = d.AvailableAt.Add(time.Duration(d.RetentionDays) * 24 * time.Hour)
	if state == navette.DepositRevoked {
		d.RevokedAt = d.CreatedAt.Add(time.Hour)
	}
}

// newFile returns an uploading file of deposit d, not yet stored.
func (m *metaFixture) newFile(d *navette.DepositRecord) *navette.FileRecord {
	return &navette.FileRecord{
		ID:        navette.NewID(),
		DepositID: d.ID,
		Name:      metaRandom(20),
		Size:      1 << 20,
		Offset:    0,
		State:     navette.FileUploading,
		Key:       navette.WrappedKey{KeyID: "kek-1", Data: metaRandom(40)},
		CreatedAt: m.now(),
	}
}

// file creates a file in deposit d, which must be a draft.
func (m *metaFixture) file(d *navette.DepositRecord) *navette.FileRecord {
	m.t.Helper()
	f := m.newFile(d)
	if err := m.s.CreateFile(m.ctx, f, 100); err != nil {
		m.t.Fatalf("CreateFile: %v", err)
	}
	return f
}

// event returns an event of type typ about deposit d at the clock's time.
func (m *metaFixture) event(typ navette.EventType, actor, depositID string) navette.Event {
	return navette.Event{Time: m.clock.Now(), Type: typ, ActorID: actor, DepositID: depositID}
}

// events returns the events of deposit depositID, or all if it is empty.
func (m *metaFixture) events(depositID string) []navette.Event {
	m.t.Helper()
	evs, err := m.s.Events(m.ctx, navette.EventFilter{DepositID: depositID})
	if err != nil {
		m.t.Fatalf("Events: %v", err)
	}
	return evs
}

// getDeposit reads deposit id back.
func (m *metaFixture) getDeposit(id string) *navette.DepositRecord {
	m.t.Helper()
	d, err := m.s.Deposit(m.ctx, id)
	if err != nil {
		m.t.Fatalf("Deposit(%s): %v", id, err)
	}
	return d
}

// getFiles reads the files of deposit id back.
func (m *metaFixture) getFiles(id string) []*navette.FileRecord {
	m.t.Helper()
	fs, err := m.s.Files(m.ctx, id)
	if err != nil {
		m.t.Fatalf("Files(%s): %v", id, err)
	}
	return fs
}

// list lists deposits, failing t on error.
func (m *metaFixture) list(f navette.DepositFilter) []*navette.DepositRecord {
	m.t.Helper()
	ds, err := m.s.ListDeposits(m.ctx, f)
	if err != nil {
		m.t.Fatalf("ListDeposits(%+v): %v", f, err)
	}
	return ds
}

// metaRandom returns n random bytes.
func metaRandom(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// metaCode fails t unless err carries code.
func metaCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := navette.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// metaEqual fails t unless got and want are deeply equal: the same times to
// the location, nil and not empty byte slices.
func metaEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, metaDump(got), metaDump(want))
	}
}

func metaDump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// metaIDs returns the ids of deposits.
func metaIDs(ds []*navette.DepositRecord) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

// metaClone returns a deep copy of d.
func metaClone(d *navette.DepositRecord) *navette.DepositRecord {
	c := *d
	c.Key.Data = bytes.Clone(d.Key.Data)
	c.Reference = bytes.Clone(d.Reference)
	c.Message = bytes.Clone(d.Message)
	c.Recipients = slices.Clone(d.Recipients)
	return &c
}

// metaCloneFile returns a deep copy of f.
func metaCloneFile(f *navette.FileRecord) *navette.FileRecord {
	c := *f
	c.Name = bytes.Clone(f.Name)
	c.Key.Data = bytes.Clone(f.Key.Data)
	c.Resume = bytes.Clone(f.Resume)
	c.SHA256 = bytes.Clone(f.SHA256)
	return &c
}

// metaSeqs checks that events have strictly increasing, positive sequence
// numbers and leaves and a chain hash, and returns them with Seq, Leaf and
// Hash cleared for comparison.
func metaSeqs(t *testing.T, evs []navette.Event) []navette.Event {
	t.Helper()
	out := slices.Clone(evs)
	var last int64
	lastLeaf := int64(-1)
	for i := range out {
		if out[i].Seq <= last {
			t.Errorf("event %d has seq %d after %d", i, out[i].Seq, last)
		}
		if out[i].Leaf <= lastLeaf {
			t.Errorf("event %d has leaf %d after %d", i, out[i].Leaf, lastLeaf)
		}
		last, lastLeaf = out[i].Seq, out[i].Leaf
		out[i].Seq, out[i].Leaf = 0, 0
		if len(out[i].Hash) != 32 {
			t.Errorf("event %d has a hash of %d bytes, want 32", i, len(out[i].Hash))
		}
		out[i].Hash = nil
	}
	return out
}

func testMetaUsers(t *testing.T, m *metaFixture) {
	u := &navette.User{
		ID:        navette.NewID(),
		Email:     "ana.agent@justice.example",
		Name:      "Ana Agent",
		Role:      navette.RoleAgent,
		Disabled:  true,
		Lang:      navette.LangEnglish,
		CreatedAt: m.now(),
	}
	ev := m.event(navette.EventUserCreated, "", "")
	if err := m.s.CreateUser(m.ctx, u, ev); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	got, err := m.s.User(m.ctx, u.ID)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	metaEqual(t, "User", got, u)
	got, err = m.s.UserByEmail(m.ctx, u.Email)
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	metaEqual(t, "UserByEmail", got, u)

	admin := &navette.User{ID: navette.NewID(), Email: "root@justice.example", Role: navette.RoleAdmin, CreatedAt: m.now()}
	if err := m.s.CreateUser(m.ctx, admin); err != nil {
		t.Fatalf("CreateUser(admin): %v", err)
	}
	got, err = m.s.User(m.ctx, admin.ID)
	if err != nil {
		t.Fatalf("User(admin): %v", err)
	}
	metaEqual(t, "User(admin)", got, admin)

	sameEmail := &navette.User{ID: navette.NewID(), Email: u.Email, Role: navette.RolePartner, CreatedAt: m.now()}
	metaCode(t, "CreateUser with a taken e-mail", m.s.CreateUser(m.ctx, sameEmail, ev), navette.ECONFLICT)
	sameID := &navette.User{ID: u.ID, Email: "other@example.org", Role: navette.RolePartner, CreatedAt: m.now()}
	metaCode(t, "CreateUser with a taken id", m.s.CreateUser(m.ctx, sameID, ev), navette.ECONFLICT)
	_, err = m.s.UserByEmail(m.ctx, "other@example.org")
	metaCode(t, "UserByEmail after a failed create", err, navette.ENOTFOUND)

	_, err = m.s.User(m.ctx, navette.NewID())
	metaCode(t, "User(unknown)", err, navette.ENOTFOUND)
	_, err = m.s.UserByEmail(m.ctx, "nobody@example.org")
	metaCode(t, "UserByEmail(unknown)", err, navette.ENOTFOUND)

	// Only the successful create appended its event.
	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev})
}

func testMetaTokens(t *testing.T, m *metaFixture) {
	u := m.user("Bob")
	tok := &navette.Token{
		ID:        navette.NewID(),
		UserID:    u.ID,
		Hash:      metaRandom(32),
		Label:     "laptop",
		Scopes:    []navette.Scope{navette.ScopeRead},
		CreatedAt: m.now(),
	}
	ev := m.event(navette.EventTokenCreated, u.ID, "")
	if err := m.s.CreateToken(m.ctx, tok, ev); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	got, err := m.s.TokenByHash(m.ctx, tok.Hash)
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	metaEqual(t, "TokenByHash", got, tok)

	// Expired and revoked tokens are found too.
	old := &navette.Token{
		ID:        navette.NewID(),
		UserID:    u.ID,
		Hash:      metaRandom(32),
		Scopes:    []navette.Scope{navette.ScopeWrite, navette.ScopeRead, navette.ScopeAdmin, navette.ScopeAudit},
		CreatedAt: m.now(),
		ExpiresAt: metaEpoch.Add(time.Hour),
		RevokedAt: metaEpoch.Add(time.Minute),
		LastUsed:  metaEpoch.Add(30 * time.Second),
	}
	if err := m.s.CreateToken(m.ctx, old); err != nil {
		t.Fatalf("CreateToken(old): %v", err)
	}
	got, err = m.s.TokenByHash(m.ctx, old.Hash)
	if err != nil {
		t.Fatalf("TokenByHash(old): %v", err)
	}
	metaEqual(t, "TokenByHash(old)", got, old)

	sameHash := &navette.Token{ID: navette.NewID(), UserID: u.ID, Hash: bytes.Clone(tok.Hash), Scopes: tok.Scopes, CreatedAt: m.now()}
	metaCode(t, "CreateToken with a taken hash", m.s.CreateToken(m.ctx, sameHash, ev), navette.ECONFLICT)
	sameID := &navette.Token{ID: tok.ID, UserID: u.ID, Hash: metaRandom(32), Scopes: tok.Scopes, CreatedAt: m.now()}
	metaCode(t, "CreateToken with a taken id", m.s.CreateToken(m.ctx, sameID, ev), navette.ECONFLICT)
	ghost := &navette.Token{ID: navette.NewID(), UserID: navette.NewID(), Hash: metaRandom(32), Scopes: tok.Scopes, CreatedAt: m.now()}
	metaCode(t, "CreateToken for an unknown user", m.s.CreateToken(m.ctx, ghost, ev), navette.ENOTFOUND)
	_, err = m.s.TokenByHash(m.ctx, ghost.Hash)
	metaCode(t, "TokenByHash after a failed create", err, navette.ENOTFOUND)
	_, err = m.s.TokenByHash(m.ctx, metaRandom(32))
	metaCode(t, "TokenByHash(unknown)", err, navette.ENOTFOUND)

	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev})
}

func testMetaCreateDeposit(t *testing.T, m *metaFixture) {
	alice, zoe, adam, mia := m.user("Alice"), m.user("Zoe"), m.user("Adam"), m.user("Mia")
	d := m.newDeposit(alice, zoe, adam, mia)
	if got := []string{d.Recipients[0].Name, d.Recipients[1].Name, d.Recipients[2].Name}; !slices.Equal(got, []string{"Adam", "Mia", "Zoe"}) {
		t.Fatalf("fixture recipients out of order: %v", got)
	}
	// The order given does not matter, nor do e-mail and name, which
	// storage fills from the users.
	in := metaClone(d)
	in.Recipients = []navette.Recipient{{UserID: zoe.ID}, {UserID: adam.ID, Email: "x", Name: "y"}, {UserID: mia.ID}}
	ev := m.event(navette.EventDepositCreated, alice.ID, d.ID)
	if err := m.s.CreateDeposit(m.ctx, in, ev); err != nil {
		t.Fatalf("CreateDeposit: %v", err)
	}
	metaEqual(t, "Deposit", m.getDeposit(d.ID), d)

	dup := m.newDeposit(alice, zoe)
	dup.ID = d.ID
	metaCode(t, "CreateDeposit with a taken id", m.s.CreateDeposit(m.ctx, dup, ev), navette.ECONFLICT)

	// An unknown recipient leaves nothing behind: no deposit, no
	// recipient, no event.
	half := m.newDeposit(alice, adam, mia)
	half.Recipients = append(half.Recipients, navette.Recipient{UserID: navette.NewID()})
	evHalf := m.event(navette.EventDepositCreated, alice.ID, half.ID)
	metaCode(t, "CreateDeposit with an unknown recipient", m.s.CreateDeposit(m.ctx, half, evHalf), navette.ENOTFOUND)
	_, err := m.s.Deposit(m.ctx, half.ID)
	metaCode(t, "Deposit after a failed create", err, navette.ENOTFOUND)
	metaEqual(t, "adam's inbox after a failed create", metaIDs(m.list(navette.DepositFilter{
		UserID: adam.ID, Box: navette.BoxInbox, States: []navette.DepositState{navette.DepositDraft},
	})), []string{d.ID})

	orphan := m.newDeposit(&navette.User{ID: navette.NewID()}, adam)
	metaCode(t, "CreateDeposit from an unknown sender", m.s.CreateDeposit(m.ctx, orphan, ev), navette.ENOTFOUND)

	// A deposit without recipients has none.
	lone := m.newDeposit(alice)
	if err := m.s.CreateDeposit(m.ctx, lone); err != nil {
		t.Fatalf("CreateDeposit(no recipients): %v", err)
	}
	metaEqual(t, "Deposit(no recipients)", m.getDeposit(lone.ID), lone)

	_, err = m.s.Deposit(m.ctx, navette.NewID())
	metaCode(t, "Deposit(unknown)", err, navette.ENOTFOUND)

	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev})
}

func testMetaDepositFor(t *testing.T, m *metaFixture) {
	alice, bob, carol, eve := m.user("Alice"), m.user("Bob"), m.user("Carol"), m.user("Eve")
	d := m.deposit(navette.DepositAvailable, alice, bob, carol)
	other := m.deposit(navette.DepositAvailable, eve, eve)

	for _, u := range []*navette.User{alice, bob, carol} {
		got, err := m.s.DepositFor(m.ctx, d.ID, u.ID)
		if err != nil {
			t.Errorf("DepositFor(%s): %v", u.Name, err)
			continue
		}
		metaEqual(t, "DepositFor("+u.Name+")", got, d)
	}
	_, err := m.s.DepositFor(m.ctx, d.ID, eve.ID)
	metaCode(t, "DepositFor(stranger)", err, navette.ENOTFOUND)
	_, err = m.s.DepositFor(m.ctx, d.ID, navette.NewID())
	metaCode(t, "DepositFor(unknown user)", err, navette.ENOTFOUND)
	_, err = m.s.DepositFor(m.ctx, d.ID, "")
	metaCode(t, "DepositFor(no user)", err, navette.ENOTFOUND)
	_, err = m.s.DepositFor(m.ctx, navette.NewID(), alice.ID)
	metaCode(t, "DepositFor(unknown deposit)", err, navette.ENOTFOUND)
	_, err = m.s.DepositFor(m.ctx, other.ID, bob.ID)
	metaCode(t, "DepositFor(someone else's deposit)", err, navette.ENOTFOUND)
}

func testMetaListDeposits(t *testing.T, m *metaFixture) {
	alice, bob, carol, dave := m.user("Alice"), m.user("Bob"), m.user("Carol"), m.user("Dave")
	d1 := m.deposit(navette.DepositDraft, alice, bob)
	d2 := m.deposit(navette.DepositAvailable, alice, bob, carol)
	d3 := m.deposit(navette.DepositRevoked, alice, bob)
	d4 := m.deposit(navette.DepositAvailable, alice, bob)
	d5 := m.deposit(navette.DepositAvailable, carol, bob)
	d6 := m.deposit(navette.DepositAvailable, carol, dave)
	d7 := m.deposit(navette.DepositChecking, alice, dave)

	inbox := m.list(navette.DepositFilter{UserID: bob.ID, Box: navette.BoxInbox})
	metaEqual(t, "bob's inbox", metaIDs(inbox), []string{d5.ID, d4.ID, d2.ID})
	if len(inbox) == 3 {
		metaEqual(t, "bob's inbox, records", inbox, []*navette.DepositRecord{d5, d4, d2})
	}
	metaEqual(t, "bob's inbox, revoked and available", metaIDs(m.list(navette.DepositFilter{
		UserID: bob.ID, Box: navette.BoxInbox, States: []navette.DepositState{navette.DepositRevoked, navette.DepositAvailable},
	})), []string{d5.ID, d4.ID, d3.ID, d2.ID})
	metaEqual(t, "bob's inbox, drafts", metaIDs(m.list(navette.DepositFilter{
		UserID: bob.ID, Box: navette.BoxInbox, States: []navette.DepositState{navette.DepositDraft},
	})), []string{d1.ID})
	metaEqual(t, "carol's inbox", metaIDs(m.list(navette.DepositFilter{UserID: carol.ID, Box: navette.BoxInbox})), []string{d2.ID})
	metaEqual(t, "dave's inbox", metaIDs(m.list(navette.DepositFilter{UserID: dave.ID, Box: navette.BoxInbox})), []string{d6.ID})
	metaEqual(t, "alice's inbox", metaIDs(m.list(navette.DepositFilter{UserID: alice.ID, Box: navette.BoxInbox})), []string{})

	sent := m.list(navette.DepositFilter{UserID: alice.ID, Box: navette.BoxSent})
	metaEqual(t, "alice's sent box", metaIDs(sent), []string{d7.ID, d4.ID, d3.ID, d2.ID, d1.ID})
	if len(sent) == 5 {
		metaEqual(t, "alice's sent box, records", sent, []*navette.DepositRecord{d7, d4, d3, d2, d1})
	}
	metaEqual(t, "alice's sent drafts and checking", metaIDs(m.list(navette.DepositFilter{
		UserID: alice.ID, Box: navette.BoxSent, States: []navette.DepositState{navette.DepositDraft, navette.DepositChecking},
	})), []string{d7.ID, d1.ID})
	metaEqual(t, "carol's sent box", metaIDs(m.list(navette.DepositFilter{UserID: carol.ID, Box: navette.BoxSent})), []string{d6.ID, d5.ID})
	metaEqual(t, "bob's sent box", metaIDs(m.list(navette.DepositFilter{UserID: bob.ID, Box: navette.BoxSent})), []string{})
	metaEqual(t, "alice's sent box, limit 2", metaIDs(m.list(navette.DepositFilter{UserID: alice.ID, Box: navette.BoxSent, Limit: 2})),
		[]string{d7.ID, d4.ID})
	metaEqual(t, "alice's sent box before d3", metaIDs(m.list(navette.DepositFilter{
		UserID: alice.ID, Box: navette.BoxSent, Before: d3.CreatedAt, BeforeID: d3.ID,
	})), []string{d2.ID, d1.ID})
	metaEqual(t, "alice's sent box before d3's time", metaIDs(m.list(navette.DepositFilter{
		UserID: alice.ID, Box: navette.BoxSent, Before: d3.CreatedAt,
	})), []string{d2.ID, d1.ID})

	_, err := m.s.ListDeposits(m.ctx, navette.DepositFilter{UserID: alice.ID, Box: "outbox"})
	metaCode(t, "ListDeposits(unknown box)", err, navette.EINVALID)
	_, err = m.s.ListDeposits(m.ctx, navette.DepositFilter{UserID: alice.ID, Box: navette.BoxSent, Limit: -1})
	metaCode(t, "ListDeposits(negative limit)", err, navette.EINVALID)
}

func testMetaListPagination(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	// Nine deposits in three groups created at the same instant, so that
	// pages break inside ties.
	var all []*navette.DepositRecord
	for i := range 9 {
		d := m.newDeposit(alice, bob)
		d.CreatedAt = metaEpoch.Add(time.Duration(i/3) * time.Hour)
		metaSetState(d, navette.DepositAvailable)
		if err := m.s.CreateDeposit(m.ctx, d); err != nil {
			t.Fatalf("CreateDeposit: %v", err)
		}
		all = append(all, d)
	}
	slices.SortFunc(all, func(a, b *navette.DepositRecord) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	want := metaIDs(all)

	for _, f := range []navette.DepositFilter{
		{UserID: bob.ID, Box: navette.BoxInbox},
		{UserID: alice.ID, Box: navette.BoxSent},
	} {
		for _, size := range []int{1, 2, 4} {
			f.Limit = size
			f.Before, f.BeforeID = time.Time{}, ""
			var got []string
			for range 20 {
				page := m.list(f)
				if len(page) > size {
					t.Fatalf("%s: page of %d with limit %d", f.Box, len(page), size)
				}
				if len(page) == 0 {
					break
				}
				got = append(got, metaIDs(page)...)
				last := page[len(page)-1]
				f.Before, f.BeforeID = last.CreatedAt, last.ID
			}
			metaEqual(t, fmt.Sprintf("%s in pages of %d", f.Box, size), got, want)
		}
	}
}

func testMetaListDefaultLimit(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	for range 101 {
		m.deposit(navette.DepositDraft, alice)
	}
	if got := len(m.list(navette.DepositFilter{UserID: alice.ID, Box: navette.BoxSent})); got != 100 {
		t.Errorf("ListDeposits without a limit: %d deposits, want 100", got)
	}
	if got := len(m.list(navette.DepositFilter{UserID: alice.ID, Box: navette.BoxSent, Limit: 101})); got != 101 {
		t.Errorf("ListDeposits(limit 101): %d deposits, want 101", got)
	}
}

func testMetaUpdateDeposit(t *testing.T, m *metaFixture) {
	alice, bob, carol := m.user("Alice"), m.user("Bob"), m.user("Carol")
	d := m.deposit(navette.DepositDraft, alice, bob, carol)
	f1, f2 := m.file(d), m.file(d)
	other := m.deposit(navette.DepositDraft, alice, bob)
	otherFile := m.file(other)
	created := m.events(d.ID)

	// fn sees the deposit with its recipients and files as stored.
	var wantD *navette.DepositRecord
	var wantF []*navette.FileRecord
	var wantE []navette.Event
	err := m.s.UpdateDeposit(m.ctx, d.ID, func(got *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		metaEqual(t, "deposit given to fn", got, d)
		metaEqual(t, "files given to fn", files, []*navette.FileRecord{f1, f2})
		now := m.now()
		got.State = navette.DepositAvailable
		got.RetentionDays = 14
		got.SubmittedAt = now
		got.AvailableAt = now.Add(time.Second)
		got.ExpiresAt = now.Add(14 * 24 * time.Hour)
		got.Key = navette.WrappedKey{KeyID: "kek-2", Data: metaRandom(40)}
		got.Reference = metaRandom(31)
		got.Message = nil
		got.NotifySender = false
		got.MaxDownloads = 0
		got.RemindedAt = now.Add(2 * time.Second)
		for i := range got.Recipients {
			switch got.Recipients[i].UserID {
			case bob.ID:
				got.Recipients[i].FirstDownloadAt = now.Add(time.Minute)
				got.Recipients[i].FirstOpenedAt = now.Add(time.Second)
				got.Recipients[i].FirstOpenedBy = bob.ID
			case carol.ID:
				got.Recipients[i].FirstOpenedAt = now.Add(2 * time.Second)
				got.Recipients[i].FirstOpenedBy = alice.ID
			}
		}
		files[0].State = navette.FileAvailable
		files[0].Offset = files[0].Size
		files[0].SHA256 = metaRandom(32)
		files[0].StoredAt = now
		files[0].Resume = nil
		files[1].State = navette.FilePurged
		files[1].Key = navette.WrappedKey{}
		files[1].Name = nil
		files[1].BlobDeleted = true
		wantD = metaClone(got)
		wantF = []*navette.FileRecord{metaCloneFile(files[0]), metaCloneFile(files[1])}
		wantE = []navette.Event{
			m.event(navette.EventDepositSubmitted, alice.ID, d.ID),
			{Time: now, Type: navette.EventDepositAvailable, DepositID: d.ID, FileID: f1.ID, Size: 42, SHA256: metaRandom(32), Detail: "clean"},
		}
		return wantE, nil
	})
	if err != nil {
		t.Fatalf("UpdateDeposit: %v", err)
	}
	metaEqual(t, "deposit after UpdateDeposit", m.getDeposit(d.ID), wantD)
	metaEqual(t, "files after UpdateDeposit", m.getFiles(d.ID), wantF)
	evs := m.events(d.ID)
	metaEqual(t, "events after UpdateDeposit", metaSeqs(t, evs), append(metaSeqs(t, created), wantE...))

	// Another deposit is left alone.
	otherFile2 := metaCloneFile(otherFile)
	metaEqual(t, "other deposit", m.getDeposit(other.ID), other)
	metaEqual(t, "other files", m.getFiles(other.ID), []*navette.FileRecord{otherFile2})

	// A function that changes nothing and returns no event writes nothing.
	err = m.s.UpdateDeposit(m.ctx, d.ID, func(*navette.DepositRecord, []*navette.FileRecord) ([]navette.Event, error) {
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateDeposit(no change): %v", err)
	}
	metaEqual(t, "deposit after no change", m.getDeposit(d.ID), wantD)
	metaEqual(t, "events after no change", m.events(d.ID), evs)

	// A purge clears keys and sealed data; zero times and empty bytes stay
	// so.
	err = m.s.UpdateDeposit(m.ctx, d.ID, func(got *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		got.State = navette.DepositExpired
		got.PurgedAt = m.now()
		got.Key = navette.WrappedKey{}
		got.Reference = []byte{}
		got.Message = nil
		for _, f := range files {
			f.State = navette.FilePurged
			f.Key = navette.WrappedKey{}
			f.Name = nil
			f.Resume = nil
			f.SHA256 = nil
		}
		wantD = metaClone(got)
		wantD.Reference = nil
		wantF = nil
		for _, f := range files {
			wantF = append(wantF, metaCloneFile(f))
		}
		return []navette.Event{m.event(navette.EventDepositPurged, "", d.ID)}, nil
	})
	if err != nil {
		t.Fatalf("UpdateDeposit(purge): %v", err)
	}
	metaEqual(t, "deposit after purge", m.getDeposit(d.ID), wantD)
	metaEqual(t, "files after purge", m.getFiles(d.ID), wantF)
	if n := len(m.events(d.ID)); n != len(evs)+1 {
		t.Errorf("%d events after purge, want %d", n, len(evs)+1)
	}

	called := false
	err = m.s.UpdateDeposit(m.ctx, navette.NewID(), func(*navette.DepositRecord, []*navette.FileRecord) ([]navette.Event, error) {
		called = true
		return nil, nil
	})
	metaCode(t, "UpdateDeposit(unknown)", err, navette.ENOTFOUND)
	if called {
		t.Error("UpdateDeposit(unknown) called fn")
	}
}

func testMetaUpdateDepositRollback(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositDraft, alice, bob)
	f := m.file(d)
	before := m.events("")

	wreck := func(got *navette.DepositRecord, files []*navette.FileRecord) {
		got.State = navette.DepositRevoked
		got.RevokedAt = m.now()
		got.Key = navette.WrappedKey{}
		got.Message = metaRandom(10)
		got.Recipients[0].FirstDownloadAt = m.now()
		files[0].State = navette.FilePurged
		files[0].Name = nil
		files[0].Offset = 99
	}
	failures := []error{
		&errMetaTest{1},
		navette.Errorf(navette.EGONE, "gone"),
		fmt.Errorf("wrapped: %w", &errMetaTest{2}),
	}
	for _, want := range failures {
		err := m.s.UpdateDeposit(m.ctx, d.ID, func(got *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
			wreck(got, files)
			return []navette.Event{m.event(navette.EventDepositRevoked, alice.ID, d.ID)}, want
		})
		if err != want {
			t.Errorf("UpdateDeposit returned %v (%T), want fn's error %v (%T) as is", err, err, want, want)
		}
		if navette.ErrorCode(err) != navette.ErrorCode(want) {
			t.Errorf("UpdateDeposit: code %q, want %q", navette.ErrorCode(err), navette.ErrorCode(want))
		}
		var target *errMetaTest
		if errors.As(want, &target) && !errors.As(err, &target) {
			t.Errorf("errors.As(%v) fails on UpdateDeposit's error", want)
		}
	}

	// An event the journal cannot hold fails the whole update too.
	err := m.s.UpdateDeposit(m.ctx, d.ID, func(got *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		wreck(got, files)
		return []navette.Event{m.event(navette.EventDepositRevoked, alice.ID, d.ID), {Type: navette.EventDepositRevoked}}, nil
	})
	metaCode(t, "UpdateDeposit with an event without time", err, navette.EINVALID)

	metaEqual(t, "deposit after failed updates", m.getDeposit(d.ID), d)
	metaEqual(t, "files after failed updates", m.getFiles(d.ID), []*navette.FileRecord{f})
	metaEqual(t, "events after failed updates", m.events(""), before)
}

func testMetaUpdateDepositConcurrent(t *testing.T, m *metaFixture) {
	const n = 8
	alice := m.user("Alice")
	var users []*navette.User
	for i := range n {
		users = append(users, m.user(fmt.Sprintf("R%d", i)))
	}
	d := m.deposit(navette.DepositAvailable, alice, users...)
	d.Message = nil // each update appends a byte to it
	if err := m.s.UpdateDeposit(m.ctx, d.ID, func(got *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		got.Message = nil
		return nil, nil
	}); err != nil {
		t.Fatalf("UpdateDeposit: %v", err)
	}

	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = m.s.UpdateDeposit(m.ctx, d.ID, func(got *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
				for j := range got.Recipients {
					if got.Recipients[j].UserID == users[i].ID {
						got.Recipients[j].FirstDownloadAt = metaEpoch.Add(time.Duration(i+1) * time.Minute)
					}
				}
				got.Message = append(got.Message, byte(i))
				return []navette.Event{{Time: metaEpoch, Type: navette.EventFileDownloaded, ActorID: users[i].ID, DepositID: d.ID}}, nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("UpdateDeposit %d: %v", i, err)
		}
	}

	got := m.getDeposit(d.ID)
	for i, u := range users {
		for _, r := range got.Recipients {
			if want := metaEpoch.Add(time.Duration(i+1) * time.Minute); r.UserID == u.ID && !r.FirstDownloadAt.Equal(want) {
				t.Errorf("recipient %d: first download %v, want %v", i, r.FirstDownloadAt, want)
			}
		}
	}
	msg := slices.Clone(got.Message)
	slices.Sort(msg)
	if want := []byte{0, 1, 2, 3, 4, 5, 6, 7}; !bytes.Equal(msg, want) {
		t.Errorf("message after concurrent updates: %v, want a permutation of %v (an update was lost)", got.Message, want)
	}
	actors := map[string]bool{}
	for _, e := range metaSeqs(t, m.events(d.ID)) {
		if e.Type == navette.EventFileDownloaded {
			actors[e.ActorID] = true
		}
	}
	if len(actors) != n {
		t.Errorf("%d download events with distinct actors, want %d", len(actors), n)
	}
}

func testMetaDueDeposits(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	now := metaEpoch.Add(100 * 24 * time.Hour)
	abandonBefore := now.Add(-24 * time.Hour)
	add := func(state navette.DepositState, mod func(d *navette.DepositRecord)) *navette.DepositRecord {
		t.Helper()
		d := m.newDeposit(alice, bob)
		metaSetState(d, state)
		mod(d)
		if err := m.s.CreateDeposit(m.ctx, d); err != nil {
			t.Fatalf("CreateDeposit: %v", err)
		}
		return d
	}
	keep := func(*navette.DepositRecord) {}
	expired := add(navette.DepositAvailable, func(d *navette.DepositRecord) { d.ExpiresAt = now.Add(-time.Hour) })
	expiresNow := add(navette.DepositAvailable, func(d *navette.DepositRecord) { d.ExpiresAt = now })
	add(navette.DepositAvailable, func(d *navette.DepositRecord) { d.ExpiresAt = now.Add(time.Microsecond) })
	revoked := add(navette.DepositRevoked, keep)
	add(navette.DepositRevoked, func(d *navette.DepositRecord) {
		d.PurgedAt = d.RevokedAt.Add(time.Minute)
		d.Key = navette.WrappedKey{}
	})
	gone := add(navette.DepositExpired, keep)
	add(navette.DepositExpired, func(d *navette.DepositRecord) { d.PurgedAt = d.ExpiresAt })
	abandoned := add(navette.DepositDraft, func(d *navette.DepositRecord) { d.CreatedAt = abandonBefore.Add(-time.Hour) })
	add(navette.DepositDraft, func(d *navette.DepositRecord) { d.CreatedAt = abandonBefore })
	add(navette.DepositDraft, func(d *navette.DepositRecord) { d.CreatedAt = abandonBefore.Add(time.Hour) })
	add(navette.DepositDraft, func(d *navette.DepositRecord) {
		d.CreatedAt = abandonBefore.Add(-2 * time.Hour)
		d.PurgedAt = abandonBefore
	})
	add(navette.DepositChecking, func(d *navette.DepositRecord) { d.CreatedAt = abandonBefore.Add(-time.Hour) })

	want := []string{expired.ID, expiresNow.ID, revoked.ID, gone.ID, abandoned.ID}
	got, err := m.s.DueDeposits(m.ctx, now, abandonBefore, 100)
	if err != nil {
		t.Fatalf("DueDeposits: %v", err)
	}
	slices.Sort(got)
	slices.Sort(want)
	metaEqual(t, "DueDeposits", got, want)

	got, err = m.s.DueDeposits(m.ctx, now, abandonBefore, 2)
	if err != nil {
		t.Fatalf("DueDeposits(limit 2): %v", err)
	}
	if len(got) != 2 || !slices.Contains(want, got[0]) || !slices.Contains(want, got[1]) || got[0] == got[1] {
		t.Errorf("DueDeposits(limit 2) = %v, want two of %v", got, want)
	}

	// Earlier, only the revoked and expired ones are due.
	got, err = m.s.DueDeposits(m.ctx, metaEpoch, metaEpoch.Add(-time.Hour), 100)
	if err != nil {
		t.Fatalf("DueDeposits(earlier): %v", err)
	}
	slices.Sort(got)
	want = []string{revoked.ID, gone.ID}
	slices.Sort(want)
	metaEqual(t, "DueDeposits(earlier)", got, want)

	_, err = m.s.DueDeposits(m.ctx, now, abandonBefore, 0)
	metaCode(t, "DueDeposits(limit 0)", err, navette.EINVALID)
}

func testMetaCreateFile(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	d := m.deposit(navette.DepositDraft, alice)
	f := m.newFile(d)
	ev := navette.Event{Time: m.clock.Now(), Type: navette.EventFileStored, ActorID: alice.ID, DepositID: d.ID, FileID: f.ID}
	if err := m.s.CreateFile(m.ctx, f, 3, ev); err != nil {
		t.Fatalf("CreateFile: %v", err)
	}
	got, err := m.s.File(m.ctx, f.ID)
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	metaEqual(t, "File", got, f)

	dup := m.newFile(d)
	dup.ID = f.ID
	metaCode(t, "CreateFile with a taken id", m.s.CreateFile(m.ctx, dup, 3, ev), navette.ECONFLICT)

	for range 2 {
		if err := m.s.CreateFile(m.ctx, m.newFile(d), 3); err != nil {
			t.Fatalf("CreateFile: %v", err)
		}
	}
	extra := m.newFile(d)
	metaCode(t, "CreateFile beyond maxFiles", m.s.CreateFile(m.ctx, extra, 3, ev), navette.ETOOLARGE)
	_, err = m.s.File(m.ctx, extra.ID)
	metaCode(t, "File after a refused create", err, navette.ENOTFOUND)

	// A file removed from the draft (purged) no longer counts.
	if err := m.s.UpdateFile(m.ctx, f.ID, func(f *navette.FileRecord) ([]navette.Event, error) {
		f.State = navette.FilePurged
		return nil, nil
	}); err != nil {
		t.Fatalf("UpdateFile: %v", err)
	}
	if err := m.s.CreateFile(m.ctx, extra, 3); err != nil {
		t.Fatalf("CreateFile after a removal: %v", err)
	}
	metaCode(t, "CreateFile beyond maxFiles again", m.s.CreateFile(m.ctx, m.newFile(d), 3, ev), navette.ETOOLARGE)
	metaCode(t, "CreateFile with maxFiles 0", m.s.CreateFile(m.ctx, m.newFile(m.deposit(navette.DepositDraft, alice)), 0, ev), navette.ETOOLARGE)

	for _, state := range []navette.DepositState{navette.DepositChecking, navette.DepositAvailable, navette.DepositRevoked, navette.DepositExpired} {
		nd := m.deposit(state, alice)
		metaCode(t, "CreateFile in a deposit "+string(state), m.s.CreateFile(m.ctx, m.newFile(nd), 3, ev), navette.ECONFLICT)
	}
	purged := m.newDeposit(alice)
	purged.PurgedAt = m.now()
	if err := m.s.CreateDeposit(m.ctx, purged); err != nil {
		t.Fatalf("CreateDeposit: %v", err)
	}
	metaCode(t, "CreateFile in a purged draft", m.s.CreateFile(m.ctx, m.newFile(purged), 3, ev), navette.ECONFLICT)
	metaCode(t, "CreateFile in an unknown deposit", m.s.CreateFile(m.ctx, m.newFile(&navette.DepositRecord{ID: navette.NewID()}), 3, ev), navette.ENOTFOUND)

	metaEqual(t, "events", metaSeqs(t, m.events("")), []navette.Event{ev})
}

func testMetaCreateFileConcurrent(t *testing.T, m *metaFixture) {
	const n, maxFiles = 8, 5
	d := m.deposit(navette.DepositDraft, m.user("Alice"))
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		f := m.newFile(d)
		wg.Go(func() { errs[i] = m.s.CreateFile(m.ctx, f, maxFiles) })
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch navette.ErrorCode(err) {
		case "":
			created++
		case navette.ETOOLARGE:
		default:
			t.Errorf("CreateFile: %v", err)
		}
	}
	if created != maxFiles {
		t.Errorf("%d concurrent CreateFile succeeded, want %d", created, maxFiles)
	}
	if got := len(m.getFiles(d.ID)); got != maxFiles {
		t.Errorf("deposit has %d files, want %d", got, maxFiles)
	}
}

func testMetaFiles(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	d, other := m.deposit(navette.DepositDraft, alice), m.deposit(navette.DepositDraft, alice)
	// Created out of order: Files sorts by creation time.
	var want []*navette.FileRecord
	for range 4 {
		want = append(want, m.newFile(d))
	}
	for _, i := range []int{2, 0, 3, 1} {
		if err := m.s.CreateFile(m.ctx, want[i], 10); err != nil {
			t.Fatalf("CreateFile: %v", err)
		}
	}
	m.file(other)
	metaEqual(t, "Files", m.getFiles(d.ID), want)
	for _, f := range want {
		got, err := m.s.File(m.ctx, f.ID)
		if err != nil {
			t.Fatalf("File: %v", err)
		}
		metaEqual(t, "File", got, f)
	}
	if got := m.getFiles(navette.NewID()); len(got) != 0 {
		t.Errorf("Files(unknown deposit) = %d files, want none", len(got))
	}
	_, err := m.s.File(m.ctx, navette.NewID())
	metaCode(t, "File(unknown)", err, navette.ENOTFOUND)
}

func testMetaUpdateFile(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	d := m.deposit(navette.DepositDraft, alice)
	f, other := m.file(d), m.file(d)
	f.Resume = metaRandom(100)
	if err := m.s.UpdateFile(m.ctx, f.ID, func(got *navette.FileRecord) ([]navette.Event, error) {
		got.Offset = 4096
		got.Resume = bytes.Clone(f.Resume)
		return nil, nil
	}); err != nil {
		t.Fatalf("UpdateFile(progress): %v", err)
	}
	f.Offset = 4096
	stored, err := m.s.File(m.ctx, f.ID)
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	metaEqual(t, "file after progress", stored, f)

	var want *navette.FileRecord
	ev := navette.Event{Time: m.clock.Now(), Type: navette.EventFileStored, ActorID: alice.ID, DepositID: d.ID, FileID: f.ID, Size: f.Size, SHA256: metaRandom(32)}
	err = m.s.UpdateFile(m.ctx, f.ID, func(got *navette.FileRecord) ([]navette.Event, error) {
		metaEqual(t, "file given to fn", got, f)
		got.Offset = got.Size
		got.State = navette.FileStored
		got.Resume = nil
		got.SHA256 = ev.SHA256
		got.StoredAt = m.now()
		got.Name = metaRandom(25)
		got.Key = navette.WrappedKey{KeyID: "kek-2", Data: metaRandom(40)}
		want = metaCloneFile(got)
		return []navette.Event{ev}, nil
	})
	if err != nil {
		t.Fatalf("UpdateFile: %v", err)
	}
	stored, err = m.s.File(m.ctx, f.ID)
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	metaEqual(t, "file after UpdateFile", stored, want)
	metaEqual(t, "other file", m.getFiles(d.ID)[1], other)

	failure := &errMetaTest{3}
	err = m.s.UpdateFile(m.ctx, f.ID, func(got *navette.FileRecord) ([]navette.Event, error) {
		got.State = navette.FilePurged
		got.BlobDeleted = true
		got.Key = navette.WrappedKey{}
		return []navette.Event{m.event(navette.EventFileRemoved, alice.ID, d.ID)}, failure
	})
	if err != failure {
		t.Errorf("UpdateFile returned %v, want fn's error as is", err)
	}
	stored, err = m.s.File(m.ctx, f.ID)
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	metaEqual(t, "file after a failed update", stored, want)
	metaEqual(t, "events", metaSeqs(t, m.events(d.ID)), []navette.Event{ev})

	called := false
	err = m.s.UpdateFile(m.ctx, navette.NewID(), func(*navette.FileRecord) ([]navette.Event, error) {
		called = true
		return nil, nil
	})
	metaCode(t, "UpdateFile(unknown)", err, navette.ENOTFOUND)
	if called {
		t.Error("UpdateFile(unknown) called fn")
	}
}

// testMetaUpdateFiles checks that one batch writes the files whose fn
// succeeds, with their events, and leaves the refused and missing ones, whose
// errors come back at their index.
func testMetaUpdateFiles(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	d := m.deposit(navette.DepositDraft, alice)
	a, refused, b := m.file(d), m.file(d), m.file(d)
	missing := navette.NewID()
	ev := navette.Event{Time: m.clock.Now(), Type: navette.EventFileStored, ActorID: alice.ID, DepositID: d.ID, FileID: b.ID, Size: b.Size, SHA256: metaRandom(32)}
	failure := &errMetaTest{4}
	ids := []string{b.ID, missing, refused.ID, a.ID}
	var seen []string
	errs, err := m.s.UpdateFiles(m.ctx, ids, func(i int, got *navette.FileRecord) ([]navette.Event, error) {
		seen = append(seen, got.ID)
		if got.ID != ids[i] {
			t.Errorf("fn(%d) got file %s, want %s", i, got.ID, ids[i])
		}
		got.Offset, got.Resume = 8192, metaRandom(50)
		switch got.ID {
		case refused.ID:
			return nil, failure
		case b.ID:
			got.SHA256 = ev.SHA256
			b = metaCloneFile(got)
			return []navette.Event{ev}, nil
		}
		a = metaCloneFile(got)
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateFiles: %v", err)
	}
	if len(errs) != len(ids) {
		t.Fatalf("UpdateFiles returned %d errors, want %d", len(errs), len(ids))
	}
	if errs[0] != nil || errs[3] != nil || errs[2] != failure {
		t.Errorf("UpdateFiles errors = %v, want nil, ENOTFOUND, fn's error as is, nil", errs)
	}
	metaCode(t, "UpdateFiles(missing)", errs[1], navette.ENOTFOUND)
	if len(seen) != 3 {
		t.Errorf("fn called on %v, want the 3 existing files", seen)
	}
	files := m.getFiles(d.ID)
	metaEqual(t, "files after UpdateFiles", files, []*navette.FileRecord{a, refused, b})
	metaEqual(t, "events", metaSeqs(t, m.events(d.ID)), []navette.Event{ev})

	if errs, err := m.s.UpdateFiles(m.ctx, nil, func(int, *navette.FileRecord) ([]navette.Event, error) {
		t.Error("UpdateFiles(none) called fn")
		return nil, nil
	}); err != nil || len(errs) != 0 {
		t.Errorf("UpdateFiles(none) = %v, %v", errs, err)
	}
}

func testMetaBlobsToDelete(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	d := m.deposit(navette.DepositDraft, alice)
	set := func(f *navette.FileRecord, state navette.FileState, deleted bool) {
		t.Helper()
		if err := m.s.UpdateFile(m.ctx, f.ID, func(got *navette.FileRecord) ([]navette.Event, error) {
			got.State, got.BlobDeleted = state, deleted
			if state == navette.FilePurged {
				got.Key, got.Name, got.Resume = navette.WrappedKey{}, nil, nil
			}
			*f = *metaCloneFile(got)
			return nil, nil
		}); err != nil {
			t.Fatalf("UpdateFile: %v", err)
		}
	}
	p1, p2, done, avail := m.file(d), m.file(d), m.file(d), m.file(d)
	m.file(d) // uploading
	set(p1, navette.FilePurged, false)
	set(p2, navette.FilePurged, false)
	set(done, navette.FilePurged, true)
	set(avail, navette.FileAvailable, false)

	got, err := m.s.BlobsToDelete(m.ctx, "", 10)
	if err != nil {
		t.Fatalf("BlobsToDelete: %v", err)
	}
	slices.SortFunc(got, func(a, b *navette.FileRecord) int { return strings.Compare(a.ID, b.ID) })
	want := []*navette.FileRecord{p1, p2}
	slices.SortFunc(want, func(a, b *navette.FileRecord) int { return strings.Compare(a.ID, b.ID) })
	metaEqual(t, "BlobsToDelete", got, want)

	got, err = m.s.BlobsToDelete(m.ctx, "", 1)
	if err != nil {
		t.Fatalf("BlobsToDelete(1): %v", err)
	}
	metaEqual(t, "BlobsToDelete(1)", got, want[:1])
	got, err = m.s.BlobsToDelete(m.ctx, want[0].ID, 10)
	if err != nil {
		t.Fatalf("BlobsToDelete(after the first): %v", err)
	}
	metaEqual(t, "BlobsToDelete(after the first)", got, want[1:])

	set(p1, navette.FilePurged, true)
	got, err = m.s.BlobsToDelete(m.ctx, "", 10)
	if err != nil {
		t.Fatalf("BlobsToDelete: %v", err)
	}
	metaEqual(t, "BlobsToDelete after a deletion", got, []*navette.FileRecord{p2})

	_, err = m.s.BlobsToDelete(m.ctx, "", 0)
	metaCode(t, "BlobsToDelete(0)", err, navette.EINVALID)
}

func testMetaEvents(t *testing.T, m *metaFixture) {
	if err := m.s.AppendEvents(m.ctx); err != nil {
		t.Fatalf("AppendEvents(): %v", err)
	}
	if evs := m.events(""); len(evs) != 0 {
		t.Fatalf("new store has %d events", len(evs))
	}
	a, b := navette.NewID(), navette.NewID()
	in := []navette.Event{
		{Time: m.now(), Type: navette.EventAccessDenied, ActorID: navette.NewID(), DepositID: a, Detail: "not a recipient"},
		{Time: m.now(), Type: navette.EventFileDownloaded, ActorID: navette.NewID(), DepositID: b, FileID: navette.NewID(), Size: 1 << 40, SHA256: metaRandom(32)},
		{Time: m.now(), Type: navette.EventDepositExpired, DepositID: a},
		{Time: m.now(), Type: navette.EventDepositPurged, DepositID: a, SHA256: []byte{}},
		{Time: m.now(), Type: navette.EventUserCreated, Seq: 12345}, // Seq is storage's to assign
	}
	if err := m.s.AppendEvents(m.ctx, in[:2]...); err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	if err := m.s.AppendEvents(m.ctx, in[2:]...); err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	want := slices.Clone(in)
	want[3].SHA256 = nil
	want[4].Seq = 0

	all := m.events("")
	metaEqual(t, "Events", metaSeqs(t, all), want)
	if len(all) != len(in) {
		t.FailNow()
	}
	metaEqual(t, "Events(a)", metaSeqs(t, m.events(a)), []navette.Event{want[0], want[2], want[3]})
	metaEqual(t, "Events(b)", metaSeqs(t, m.events(b)), []navette.Event{want[1]})

	evs, err := m.s.Events(m.ctx, navette.EventFilter{AfterSeq: all[1].Seq})
	if err != nil {
		t.Fatalf("Events(after): %v", err)
	}
	metaEqual(t, "Events(after 2nd)", evs, all[2:])
	evs, err = m.s.Events(m.ctx, navette.EventFilter{DepositID: a, AfterSeq: all[2].Seq})
	if err != nil {
		t.Fatalf("Events(a, after): %v", err)
	}
	metaEqual(t, "Events(a, after 3rd)", evs, all[3:4])
	evs, err = m.s.Events(m.ctx, navette.EventFilter{Limit: 2})
	if err != nil {
		t.Fatalf("Events(limit): %v", err)
	}
	metaEqual(t, "Events(limit 2)", evs, all[:2])
	evs, err = m.s.Events(m.ctx, navette.EventFilter{AfterSeq: all[4].Seq})
	if err != nil {
		t.Fatalf("Events(after last): %v", err)
	}
	if len(evs) != 0 {
		t.Errorf("Events(after last) = %d events", len(evs))
	}

	metaCode(t, "AppendEvents(no time)", m.s.AppendEvents(m.ctx, in[0], navette.Event{Type: navette.EventAccessDenied}), navette.EINVALID)
	metaCode(t, "AppendEvents(no type)", m.s.AppendEvents(m.ctx, navette.Event{Time: m.now()}), navette.EINVALID)
	_, err = m.s.Events(m.ctx, navette.EventFilter{Limit: -1})
	metaCode(t, "Events(negative limit)", err, navette.EINVALID)
	if n := len(m.events("")); n != len(in) {
		t.Errorf("%d events after refused appends, want %d", n, len(in))
	}

	// Sequence numbers keep increasing across the methods that append.
	u := m.user("Alice")
	ev := m.event(navette.EventUserCreated, "", "")
	u2 := &navette.User{ID: navette.NewID(), Email: "bob@example.org", Role: navette.RolePartner, CreatedAt: m.now()}
	if err := m.s.CreateUser(m.ctx, u2, ev); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	d := m.newDeposit(u)
	if err := m.s.CreateDeposit(m.ctx, d, m.event(navette.EventDepositCreated, u.ID, d.ID)); err != nil {
		t.Fatalf("CreateDeposit: %v", err)
	}
	metaSeqs(t, m.events(""))
}

func testMetaRoundTrip(t *testing.T, m *metaFixture) {
	paris := time.FixedZone("CET", 3600)
	// Before 1970, in another zone, with nanoseconds: read back in UTC,
	// truncated to the microsecond.
	old := time.Date(1969, 7, 20, 21, 17, 40, 123456789, paris)
	u := &navette.User{ID: navette.NewID(), Email: "old@example.org", Role: navette.RoleAgent, CreatedAt: old}
	if err := m.s.CreateUser(m.ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	got, err := m.s.User(m.ctx, u.ID)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	if want := old.UTC().Truncate(time.Microsecond); got.CreatedAt != want || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt %v (%s), want %v in UTC", got.CreatedAt, got.CreatedAt.Location(), want)
	}

	// Empty byte slices come back nil, zero times zero, other bytes as
	// they were, zero bytes included.
	d := m.newDeposit(u, u)
	d.CreatedAt = time.Date(2031, 12, 31, 23, 59, 59, 999999999, paris)
	d.Key = navette.WrappedKey{KeyID: "k", Data: []byte{0, 0, 0, 1, 0xff, 0}}
	d.Reference = []byte{0}
	d.Message = []byte{}
	if err := m.s.CreateDeposit(m.ctx, d); err != nil {
		t.Fatalf("CreateDeposit: %v", err)
	}
	want := metaClone(d)
	want.CreatedAt = d.CreatedAt.UTC().Truncate(time.Microsecond)
	want.Message = nil
	want.Recipients[0].Email, want.Recipients[0].Name = u.Email, u.Name
	metaEqual(t, "deposit", m.getDeposit(d.ID), want)

	f := m.newFile(d)
	f.Name, f.Resume, f.SHA256 = []byte{}, nil, []byte{0}
	f.Key = navette.WrappedKey{}
	f.Size = 0
	if err := m.s.CreateFile(m.ctx, f, 1); err != nil {
		t.Fatalf("CreateFile: %v", err)
	}
	gotF, err := m.s.File(m.ctx, f.ID)
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	wantF := metaCloneFile(f)
	wantF.Name = nil
	metaEqual(t, "file", gotF, wantF)

	tok := &navette.Token{ID: navette.NewID(), UserID: u.ID, Hash: []byte{0, 0}, Scopes: []navette.Scope{navette.ScopeRead},
		CreatedAt: time.Unix(0, 1000).UTC(), ExpiresAt: time.Unix(0, 0).UTC()}
	if err := m.s.CreateToken(m.ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	gotT, err := m.s.TokenByHash(m.ctx, []byte{0, 0})
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	metaEqual(t, "token at the Unix epoch", gotT, tok)
}

func testMetaPing(t *testing.T, m *metaFixture) {
	if err := m.s.Ping(m.ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
