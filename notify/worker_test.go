package notify_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"navette"
	"navette/internal/testsmtp"
	"navette/internal/testsqlite"
	"navette/keyring"
	"navette/notify"
	"navette/smtp"
	"navette/sqlite"
)

// fixture is an outbox in a real SQLite store, with a key ring, a fake
// clock and two users.
type fixture struct {
	t          *testing.T
	meta       *sqlite.Store
	keys       *keyring.Keyring
	clock      *navette.FakeClock
	alice, bob *navette.User
	deposit    string // a deposit id the notices are about
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	meta := testsqlite.Open(t, filepath.Join(dir, "navette.db"))
	keys, err := keyring.Open(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, meta: meta, keys: keys, clock: navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), deposit: navette.NewID()}
	f.alice = f.user("alice@justice.example", "Alice Greffe", "")
	f.bob = f.user("bob@avocat.example", "Maître Bob", navette.LangEnglish)
	return f
}

func (f *fixture) user(email, name, lang string) *navette.User {
	f.t.Helper()
	u := &navette.User{ID: navette.NewID(), Email: email, Name: name, Role: navette.RolePartner, Lang: lang, CreatedAt: f.clock.Now()}
	if err := f.meta.CreateUser(context.Background(), u); err != nil {
		f.t.Fatal(err)
	}
	return u
}

// queue writes a notice to u, with an event, and returns it.
func (f *fixture) queue(kind navette.NoticeKind, u *navette.User, d *notify.Data) navette.Notice {
	f.t.Helper()
	n, err := notify.NewNotice(f.keys, kind, u.ID, f.deposit, f.clock.Now(), d)
	if err != nil {
		f.t.Fatal(err)
	}
	ev := navette.Event{Time: f.clock.Now(), Type: navette.EventDepositAvailable, DepositID: f.deposit, Notices: []navette.Notice{n}}
	if err := f.meta.AppendEvents(context.Background(), ev); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) notice(id string) *navette.Notice {
	f.t.Helper()
	n, err := f.meta.Notice(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) worker(m notify.Mailer) *notify.Worker {
	r, err := notify.NewRenderer("https://navette.justice.example", notify.Address{Name: "navette", Email: "noreply@justice.example"}, false)
	if err != nil {
		f.t.Fatal(err)
	}
	return &notify.Worker{
		Meta: f.meta, Keys: f.keys, Mailer: m, Renderer: r, Clock: f.clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func (f *fixture) runOnce(w *notify.Worker) int {
	f.t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		f.t.Fatalf("RunOnce: %v", err)
	}
	return n
}

func smtpMailer(t *testing.T, srv *testsmtp.Server) *smtp.Mailer {
	t.Helper()
	m, err := smtp.New(smtp.Config{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func data() *notify.Data {
	return &notify.Data{Reference: "RG 26/00042", Files: 2, ExpiresAt: time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC),
		Sender: notify.Person{Name: "Alice Greffe", Email: "alice@justice.example"}}
}

func TestWorkerDeliversThroughSMTP(t *testing.T) {
	f := newFixture(t)
	srv := testsmtp.Start(t, testsmtp.Options{})
	var ns []navette.Notice
	for _, kind := range navette.NoticeKinds {
		to := f.bob
		if kind == navette.NoticeReceipt || kind == navette.NoticeExpiryReport {
			to = f.alice
		}
		ns = append(ns, f.queue(kind, to, data()))
	}
	w := f.worker(smtpMailer(t, srv))
	if got := f.runOnce(w); got != len(ns) {
		t.Fatalf("RunOnce claimed %d, want %d", got, len(ns))
	}
	msgs := srv.Messages()
	if len(msgs) != len(ns) {
		t.Fatalf("%d messages received, want %d", len(msgs), len(ns))
	}
	byID := map[string]*testsmtp.Message{}
	for _, m := range msgs {
		byID[m.MessageID()] = m
	}
	for _, n := range ns {
		m := byID[n.ID+"@navette.justice.example"]
		if m == nil {
			t.Errorf("no message for notice %s (%s)", n.ID, n.Kind)
			continue
		}
		want := f.bob.Email
		if n.UserID == f.alice.ID {
			want = f.alice.Email
		}
		if len(m.To) != 1 || m.To[0] != want {
			t.Errorf("%s went to %v, want %s", n.Kind, m.To, want)
		}
		if lang := m.Header.Get("Content-Language"); (n.UserID == f.bob.ID) != (lang == "en") {
			t.Errorf("%s to %s in %q", n.Kind, want, lang)
		}
		got := f.notice(n.ID)
		if got.State != navette.NoticeSent || !got.SentAt.Equal(f.clock.Now()) || !got.Key.IsZero() || got.Payload != nil || got.Attempts != 1 {
			t.Errorf("notice after delivery: %+v", got)
		}
	}
	evs, err := f.meta.Events(context.Background(), navette.EventFilter{DepositID: f.deposit})
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, e := range evs {
		if e.Type == navette.EventNoticeSent {
			sent++
		}
	}
	if sent != len(ns) {
		t.Errorf("%d notice.sent events, want %d", sent, len(ns))
	}
	if got := f.runOnce(w); got != 0 {
		t.Errorf("a second run claimed %d", got)
	}
}

// failing is a Mailer that fails with err, counting its calls.
type failing struct {
	err   error
	calls atomic.Int32
}

func (m *failing) Send(context.Context, *notify.Message) error {
	m.calls.Add(1)
	return m.err
}

func TestWorkerBackoffThenDead(t *testing.T) {
	f := newFixture(t)
	n := f.queue(navette.NoticeDeposit, f.bob, data())
	m := &failing{err: navette.Errorf(navette.EUNAVAILABLE, "421 try again later")}
	w := f.worker(m)
	w.MaxAttempts = 5
	// Waits of 30 s, 1 min, 2 min, 4 min, then dead at the 5th attempt.
	for i, wait := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if got := f.runOnce(w); got != 1 {
			t.Fatalf("attempt %d: claimed %d", i+1, got)
		}
		got := f.notice(n.ID)
		if got.State != navette.NoticePending || got.Attempts != i+1 || !got.NextAttemptAt.Equal(f.clock.Now().Add(wait)) || !strings.Contains(got.LastError, "421") {
			t.Fatalf("after attempt %d: %+v, want due in %v", i+1, got, wait)
		}
		f.clock.Advance(wait - time.Second)
		if got := f.runOnce(w); got != 0 {
			t.Fatalf("claimed %d before its time", got)
		}
		f.clock.Advance(time.Second)
	}
	if got := f.runOnce(w); got != 1 {
		t.Fatalf("last attempt: claimed %d", got)
	}
	got := f.notice(n.ID)
	if got.State != navette.NoticeDead || got.Attempts != 5 || got.Payload == nil {
		t.Fatalf("after the last attempt: %+v, want dead with its payload", got)
	}
	f.clock.Advance(24 * time.Hour)
	if got := f.runOnce(w); got != 0 {
		t.Errorf("a dead notice was claimed")
	}
	if c := m.calls.Load(); c != 5 {
		t.Errorf("%d sends, want 5", c)
	}
	a := &notify.Admin{Meta: f.meta, Clock: f.clock}
	admin := &navette.User{ID: navette.NewID(), Role: navette.RoleAdmin}
	if n, err := a.DeadCount(context.Background(), admin, 1000); err != nil || n != 1 {
		t.Errorf("DeadCount: %d, %v; want 1", n, err)
	}
	if _, err := a.DeadCount(context.Background(), f.bob, 1000); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("DeadCount by a partner: %v", err)
	}
}

func TestWorkerBackoffCap(t *testing.T) {
	f := newFixture(t)
	n := f.queue(navette.NoticeDeposit, f.bob, data())
	w := f.worker(&failing{err: errors.New("connection refused")})
	for i := range 11 {
		f.runOnce(w)
		got := f.notice(n.ID)
		wait := got.NextAttemptAt.Sub(f.clock.Now())
		if wait > time.Hour || (i >= 7 && wait != time.Hour) {
			t.Fatalf("attempt %d: wait %v, want at most 1 h (exactly from the 8th)", i+1, wait)
		}
		f.clock.Advance(wait)
	}
	f.runOnce(w) // the 12th, by default the last
	if got := f.notice(n.ID); got.State != navette.NoticeDead || got.Attempts != notify.DefaultMaxAttempts {
		t.Errorf("after 12 attempts: %+v", got)
	}
}

func TestWorkerPermanentFailureIsDeadAtOnce(t *testing.T) {
	f := newFixture(t)
	n := f.queue(navette.NoticeDeposit, f.bob, data())
	other := f.queue(navette.NoticeReceipt, f.alice, data())
	w := f.worker(notify.MailerFunc(func(_ context.Context, m *notify.Message) error {
		if m.To.Email == f.bob.Email {
			return navette.Errorf(navette.EINVALID, "550 no such user")
		}
		return nil
	}))
	f.runOnce(w)
	if got := f.notice(n.ID); got.State != navette.NoticeDead || got.Attempts != 1 || got.LastError == "" {
		t.Errorf("refused notice: %+v", got)
	}
	if got := f.notice(other.ID); got.State != navette.NoticeSent {
		t.Errorf("the other notice: %+v", got)
	}

	// A disabled addressee gets nothing (but a notice that their access
	// was withdrawn).
	gone := &navette.User{ID: navette.NewID(), Email: "gone@avocat.example", Role: navette.RolePartner, Disabled: true, CreatedAt: f.clock.Now()}
	if err := f.meta.CreateUser(context.Background(), gone); err != nil {
		t.Fatal(err)
	}
	a := f.queue(navette.NoticeDeposit, gone, data())
	b := f.queue(navette.NoticeAccessRevoked, gone, &notify.Data{})
	f.runOnce(w)
	if got := f.notice(a.ID); got.State != navette.NoticeDead {
		t.Errorf("notice to a disabled user: %+v", got)
	}
	if got := f.notice(b.ID); got.State != navette.NoticeSent {
		t.Errorf("access revoked notice to a disabled user: %+v", got)
	}

	// A payload that does not open never will.
	bad, err := notify.NewNotice(f.keys, navette.NoticeDeposit, f.alice.ID, f.deposit, f.clock.Now(), data())
	if err != nil {
		t.Fatal(err)
	}
	bad.Payload[len(bad.Payload)-1] ^= 1
	if err := f.meta.AppendEvents(context.Background(), navette.Event{Time: f.clock.Now(), Type: navette.EventDepositAvailable, Notices: []navette.Notice{bad}}); err != nil {
		t.Fatal(err)
	}
	f.runOnce(w)
	if got := f.notice(bad.ID); got.State != navette.NoticeDead {
		t.Errorf("notice with a corrupt payload: %+v", got)
	}
}

func TestWorkerRunAndKick(t *testing.T) {
	f := newFixture(t)
	srv := testsmtp.Start(t, testsmtp.Options{})
	w := f.worker(smtpMailer(t, srv))
	w.Poll = time.Hour // only kicks wake it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for i := range 3 {
		f.queue(navette.NoticeDeposit, f.bob, data())
		w.Kick()
		if got := srv.WaitCount(i+1, 20*time.Second); got != i+1 {
			t.Fatalf("%d messages after kick %d", got, i+1)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestWorkerBatchesAndConcurrency(t *testing.T) {
	f := newFixture(t)
	srv := testsmtp.Start(t, testsmtp.Options{})
	const total = 100
	for range total {
		f.queue(navette.NoticeDeposit, f.bob, data())
	}
	var (
		mu            sync.Mutex
		inFlight, top int
	)
	inner := smtpMailer(t, srv)
	w := f.worker(notify.MailerFunc(func(ctx context.Context, m *notify.Message) error {
		mu.Lock()
		inFlight++
		top = max(top, inFlight)
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight--
			mu.Unlock()
		}()
		return inner.Send(ctx, m)
	}))
	w.Batch, w.Concurrency = 16, 3
	claimed := 0
	for range 20 {
		n := f.runOnce(w)
		if n > 16 {
			t.Fatalf("claimed %d, more than a batch", n)
		}
		claimed += n
		if n == 0 {
			break
		}
	}
	if claimed != total || srv.Count() != total {
		t.Errorf("claimed %d, received %d, want %d", claimed, srv.Count(), total)
	}
	if top > 3 {
		t.Errorf("%d sends at once, want at most 3", top)
	}
}

// TestTwoWorkersNeverSendTwice runs two workers, as two nodes would, on one
// store: the leases keep them from sending a notice twice.
func TestTwoWorkersNeverSendTwice(t *testing.T) {
	f := newFixture(t)
	srv := testsmtp.Start(t, testsmtp.Options{})
	const total = 120
	for range total {
		f.queue(navette.NoticeDeposit, f.bob, data())
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		w := f.worker(smtpMailer(t, srv))
		w.Batch = 8
		wg.Go(func() { _ = w.Run(ctx) })
	}
	if got := srv.WaitCount(total, 60*time.Second); got != total {
		t.Errorf("%d messages, want %d", got, total)
	}
	cancel()
	wg.Wait()
	seen := map[string]bool{}
	for _, m := range srv.Messages() {
		if seen[m.MessageID()] {
			t.Errorf("notice %s sent twice", m.MessageID())
		}
		seen[m.MessageID()] = true
	}
	if len(seen) != total || srv.Count() != total {
		t.Errorf("%d distinct of %d messages, want %d", len(seen), srv.Count(), total)
	}
}

// crashAfterSend is failure injection: a Mailer that sends through inner
// and then never returns until released, like a process that died right
// after the mail server took the message and before the outbox recorded it.
// Released, it reports an error, which must change nothing by then.
type crashAfterSend struct {
	inner   notify.Mailer
	sent    chan struct{} // closed once the message went out
	release chan struct{}
	once    sync.Once
}

func (c *crashAfterSend) Send(ctx context.Context, m *notify.Message) error {
	if err := c.inner.Send(ctx, m); err != nil {
		return err
	}
	c.once.Do(func() { close(c.sent) })
	<-c.release
	return errors.New("the process died")
}

func TestCrashBetweenSendAndRecord(t *testing.T) {
	f := newFixture(t)
	srv := testsmtp.Start(t, testsmtp.Options{})
	n := f.queue(navette.NoticeDeposit, f.bob, data())

	crash := &crashAfterSend{inner: smtpMailer(t, srv), sent: make(chan struct{}), release: make(chan struct{})}
	w1 := f.worker(crash)
	ctx1, cancel1 := context.WithCancel(context.Background())
	done1 := make(chan error, 1)
	go func() { done1 <- w1.Run(ctx1) }()
	w1.Kick()
	select {
	case <-crash.sent:
	case <-time.After(30 * time.Second):
		t.Fatal("the first worker never sent")
	}
	cancel1() // the first worker is gone, its delivery unrecorded
	if got := f.notice(n.ID); got.State != navette.NoticePending || got.Attempts != 1 {
		t.Fatalf("notice after the crash: %+v", got)
	}

	// Another worker takes the notice over once the lease ends, and sends
	// it again with the same Message-ID.
	w2 := f.worker(smtpMailer(t, srv))
	if got := f.runOnce(w2); got != 0 {
		t.Fatalf("claimed %d while the lease holds", got)
	}
	f.clock.Advance(notify.DefaultLease)
	if got := f.runOnce(w2); got != 1 {
		t.Fatalf("claimed %d after the lease", got)
	}
	got := f.notice(n.ID)
	if got.State != navette.NoticeSent || got.Attempts != 2 {
		t.Fatalf("notice after the second delivery: %+v", got)
	}
	msgs := srv.Messages()
	if len(msgs) != 2 || msgs[0].MessageID() != msgs[1].MessageID() || msgs[0].MessageID() != n.ID+"@navette.justice.example" {
		var ids []string
		for _, m := range msgs {
			ids = append(ids, m.MessageID())
		}
		t.Fatalf("messages %v, want the same Message-ID twice", ids)
	}
	if !slices.Equal(msgs[0].To, msgs[1].To) {
		t.Errorf("the duplicate went to %v, the first to %v", msgs[1].To, msgs[0].To)
	}

	// The first worker, released, fails late: nothing changes.
	close(crash.release)
	if err := <-done1; err != nil {
		t.Errorf("Run: %v", err)
	}
	if got := f.notice(n.ID); got.State != navette.NoticeSent || got.LastError != "" {
		t.Errorf("notice after the late failure: %+v", got)
	}
}

func TestHeaderInjectionThroughSMTP(t *testing.T) {
	f := newFixture(t)
	srv := testsmtp.Start(t, testsmtp.Options{})
	// Names and references with control characters are refused before
	// storage; here they are written raw, as a hostile directory or a bug
	// might, to check that the message layer holds on its own.
	evil := f.user("victim@avocat.example", "Victim\r\nBcc: spy@evil.example", "")
	d := data()
	d.Reference = "RG 1\r\nBcc: spy@evil.example\r\nX-Injected: yes"
	d.Sender.Name = "Greffe\r\nBcc: spy@evil.example"
	d.Recipient.Name = "Avocat\nSubject: forged"
	for _, kind := range navette.NoticeKinds {
		f.queue(kind, evil, d)
	}
	w := f.worker(smtpMailer(t, srv))
	f.runOnce(w)
	msgs := srv.Messages()
	if len(msgs) != len(navette.NoticeKinds) {
		t.Fatalf("%d messages, want %d", len(msgs), len(navette.NoticeKinds))
	}
	for _, m := range msgs {
		if len(m.To) != 1 || m.To[0] != "victim@avocat.example" {
			t.Errorf("envelope recipients %v", m.To)
		}
		for _, h := range []string{"Bcc", "X-Injected"} {
			if v := m.Header.Get(h); v != "" {
				t.Errorf("injected header %s: %q", h, v)
			}
		}
		if subjects := m.Header["Subject"]; len(subjects) != 1 || strings.Contains(subjects[0], "forged") {
			t.Errorf("Subject headers %q", subjects)
		}
		if to, err := m.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "victim@avocat.example" {
			t.Errorf("To %v (%v)", to, err)
		}
		if strings.Contains(string(m.Data), "\r\nBcc:") || strings.Contains(string(m.Data), "\nBcc:") {
			t.Errorf("a Bcc line starts in the message:\n%s", m.Data)
		}
	}
}

func TestOutbox(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "mail")
	o := notify.NewOutbox(dir, f.keys)
	if ms, err := o.List(10); err != nil || len(ms) != 0 {
		t.Fatalf("List of a new outbox = %v, %v", ms, err)
	}
	w := f.worker(o)
	a := f.queue(navette.NoticeDeposit, f.bob, data())
	b := f.queue(navette.NoticeReceipt, f.alice, data())
	f.runOnce(w)
	ms, err := o.List(10)
	if err != nil || len(ms) != 2 {
		t.Fatalf("List = %d messages, %v", len(ms), err)
	}
	m, err := o.Get(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.To.Email != f.bob.Email || m.Kind != navette.NoticeDeposit || !strings.Contains(m.Text, "RG 26/00042") || m.Lang != "en" {
		t.Errorf("message of the outbox: %+v", m)
	}
	if _, err := o.Get(b.ID); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{navette.NewID(), "../keys/active", ""} {
		if _, err := o.Get(bad); navette.ErrorCode(err) != navette.ENOTFOUND {
			t.Errorf("Get(%q) = %v, want ENOTFOUND", bad, err)
		}
	}
	// Sent again (a retry), it replaces its copy.
	if err := o.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if ms, _ := o.List(10); len(ms) != 2 {
		t.Errorf("%d messages after a resend, want 2", len(ms))
	}
	// Nothing in clear on disk.
	entries, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, p := range entries {
		raw := readFile(t, p)
		if strings.Contains(raw, "RG 26/00042") || strings.Contains(raw, f.bob.Email) || strings.Contains(raw, "Alice") {
			t.Errorf("%s holds plaintext", p)
		}
		if mode := fileMode(t, p); mode != 0o600 {
			t.Errorf("%s has mode %v", p, mode)
		}
	}
}

// TestOutboxRemoveTemp: the temporary file of a message whose writer was
// killed before its rename is removed, and the messages stay.
func TestOutboxRemoveTemp(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "mail")
	o := notify.NewOutbox(dir, f.keys)
	if err := o.RemoveTemp(); err != nil {
		t.Fatalf("RemoveTemp of an outbox never written: %v", err)
	}
	a := f.queue(navette.NoticeDeposit, f.bob, data())
	f.runOnce(f.worker(o))
	stray := filepath.Join(dir, ".tmp-1605677579")
	if err := os.WriteFile(stray, []byte("{\"v\":1,"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := o.RemoveTemp(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary file is still there: %v", err)
	}
	if _, err := o.Get(a.ID); err != nil {
		t.Errorf("the message is gone: %v", err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fileMode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestWorkerMissingKeyRetries checks that a notice wrapped by a
// key-encryption key this node lacks (a cluster node the new key was not
// copied to yet) is retried, not dead, and goes once the key is there.
func TestWorkerMissingKeyRetries(t *testing.T) {
	f := newFixture(t)
	elsewhereDir, nodeDir := filepath.Join(t.TempDir(), "keys"), filepath.Join(t.TempDir(), "keys")
	elsewhere, err := keyring.Open(elsewhereDir)
	if err != nil {
		t.Fatal(err)
	}
	node, err := keyring.Open(nodeDir)
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.NewNotice(elsewhere, navette.NoticeDeposit, f.alice.ID, f.deposit, f.clock.Now(), data())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.meta.AppendEvents(context.Background(), navette.Event{Time: f.clock.Now(), Type: navette.EventDepositAvailable, Notices: []navette.Notice{n}}); err != nil {
		t.Fatal(err)
	}
	w := f.worker(notify.MailerFunc(func(context.Context, *notify.Message) error { return nil }))
	w.Keys = node
	f.runOnce(w)
	if got := f.notice(n.ID); got.State != navette.NoticePending || got.Attempts != 1 || !strings.Contains(got.LastError, n.Key.KeyID) {
		t.Fatalf("notice under a missing key: %+v; want pending, to be retried", got)
	}
	raw, err := os.ReadFile(filepath.Join(elsewhereDir, n.Key.KeyID+".key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(nodeDir, n.Key.KeyID+".key"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(24 * time.Hour)
	f.runOnce(w)
	if got := f.notice(n.ID); got.State != navette.NoticeSent {
		t.Errorf("notice once the key was copied: %+v; want sent", got)
	}
}

// TestOutboxKeys re-wraps the outbox's messages under a new key-encryption
// key, and lists an outbox whose messages partly need a key-encryption key
// the key ring lacks: the others are listed, those are named.
func TestOutboxKeys(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "mail")
	o := notify.NewOutbox(dir, f.keys)
	old := f.keys.ActiveID()
	for _, id := range []string{navette.NewID(), navette.NewID()} {
		if err := o.Send(context.Background(), &notify.Message{ID: id + "@navette.example", NoticeID: id, Subject: "Dépôt"}); err != nil {
			t.Fatal(err)
		}
	}
	fresh, err := f.keys.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := o.KeyIDs(); err != nil || n[old] != 2 || len(n) != 1 {
		t.Fatalf("KeyIDs before the rewrap = %v, %v; want 2 under %s", n, err, old)
	}
	if done, failed, err := o.Rewrap(f.keys.Rewrap); done != 2 || failed != 0 || err != nil {
		t.Fatalf("Rewrap = %d done, %d failed, %v", done, failed, err)
	}
	if n, _ := o.KeyIDs(); n[fresh] != 2 || len(n) != 1 {
		t.Errorf("KeyIDs after the rewrap = %v; want 2 under %s", n, fresh)
	}
	if done, _, _ := o.Rewrap(f.keys.Rewrap); done != 0 {
		t.Errorf("a second Rewrap rewrote %d messages", done)
	}
	if ms, err := o.List(10); err != nil || len(ms) != 2 {
		t.Fatalf("List after the rewrap = %d messages, %v", len(ms), err)
	}

	// Another key ring (a node without these keys) sees the two messages
	// as unreadable, and lists the one it writes.
	other, err := keyring.Open(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	o2 := notify.NewOutbox(dir, other)
	id := navette.NewID()
	if err := o2.Send(context.Background(), &notify.Message{ID: id + "@navette.example", NoticeID: id, Subject: "Dépôt"}); err != nil {
		t.Fatal(err)
	}
	ms, unreadable, err := o2.Browse(10)
	if err != nil || len(ms) != 1 || ms[0].NoticeID != id || len(unreadable) != 2 {
		t.Errorf("Browse with a key ring lacking the key = %d messages, unreadable %v, %v; want 1 and 2", len(ms), unreadable, err)
	}
}
