package smtp_test

import (
	"context"
	"mime"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/internal/testsmtp"
	"navette/notify"
	"navette/smtp"
)

func message(to string) *notify.Message {
	id := navette.NewID()
	return &notify.Message{
		ID:       id + "@navette.example",
		NoticeID: id,
		Kind:     navette.NoticeDeposit,
		Lang:     "fr",
		Date:     time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC),
		From:     notify.Address{Name: "navette", Email: "navette@justice.example"},
		To:       notify.Address{Name: "Maître Élise Durand", Email: to},
		Subject:  "Documents déposés à votre intention par Greffe",
		Text:     "Bonjour,\nUn dépôt vous attend.\n",
		HTML:     "<p>Bonjour,</p><p>Un dépôt vous attend.</p>",
	}
}

func newMailer(t *testing.T, cfg smtp.Config) *smtp.Mailer {
	t.Helper()
	m, err := smtp.New(cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.URL, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestSendSTARTTLS(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.Options{})
	m := newMailer(t, smtp.Config{URL: srv.URL()})
	msg := message("avocat@avocat.example")
	if err := m.Send(t.Context(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages received, want 1", len(got))
	}
	r := got[0]
	if !r.TLS || r.User != testsmtp.User {
		t.Errorf("received over TLS %v, by user %q", r.TLS, r.User)
	}
	if r.From != "navette@justice.example" || len(r.To) != 1 || r.To[0] != "avocat@avocat.example" {
		t.Errorf("envelope from %q to %q", r.From, r.To)
	}
	if r.MessageID() != msg.ID {
		t.Errorf("Message-ID %q, want %q", r.MessageID(), msg.ID)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(r.Header.Get("Subject"))
	if err != nil || subject != msg.Subject {
		t.Errorf("Subject %q (%v), want %q", subject, err, msg.Subject)
	}
	to, err := r.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Maître Élise Durand" || to[0].Address != "avocat@avocat.example" {
		t.Errorf("To %v (%v)", to, err)
	}
	for h, want := range map[string]string{"Auto-Submitted": "auto-generated", "Content-Language": "fr", "X-Auto-Response-Suppress": "All"} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type %q, want multipart/alternative", ct)
	}
	if r.Header.Get("User-Agent") != "" || r.Header.Get("X-Mailer") != "" {
		t.Errorf("the message names its mailer: %q %q", r.Header.Get("User-Agent"), r.Header.Get("X-Mailer"))
	}

	// Later messages reuse the connection.
	for range 5 {
		if err := m.Send(t.Context(), message("avocat@avocat.example")); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if n := srv.Count(); n != 6 {
		t.Errorf("%d messages, want 6", n)
	}
}

func TestSendImplicitTLS(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.Options{Implicit: true})
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("URL %s", srv.URL())
	}
	m := newMailer(t, smtp.Config{URL: srv.URL()})
	if err := m.Send(t.Context(), message("avocat@avocat.example")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := srv.Messages(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("received %d messages", len(got))
	}
}

func TestRejectedRecipientIsPermanent(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.Options{})
	srv.Reject("gone@avocat.example", true)
	m := newMailer(t, smtp.Config{URL: srv.URL()})
	err := m.Send(t.Context(), message("gone@avocat.example"))
	if !notify.Permanent(err) {
		t.Fatalf("Send to a rejected address = %v (code %s), want a permanent error", err, navette.ErrorCode(err))
	}
	// The connection stays usable for the next message.
	if err := m.Send(t.Context(), message("avocat@avocat.example")); err != nil {
		t.Fatalf("Send after a rejection: %v", err)
	}
	if n := srv.Count(); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

func TestServerDownIsTemporary(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.Options{})
	m := newMailer(t, smtp.Config{URL: srv.URL(), Timeout: 5 * time.Second})
	if err := m.Send(t.Context(), message("avocat@avocat.example")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	srv.Stop() // the idle connection dies with it
	err := m.Send(t.Context(), message("avocat@avocat.example"))
	if err == nil || notify.Permanent(err) || navette.ErrorCode(err) != navette.EUNAVAILABLE {
		t.Fatalf("Send while the server is down = %v, want EUNAVAILABLE", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), message("avocat@avocat.example")); err != nil {
		t.Fatalf("Send once the server is back: %v", err)
	}
	if n := srv.Count(); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

func TestStaleIdleConnectionIsReplaced(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.Options{})
	m := newMailer(t, smtp.Config{URL: srv.URL()})
	if err := m.Send(t.Context(), message("avocat@avocat.example")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	srv.Stop()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// The idle connection was closed by the restart; the message goes
	// through a new one, once.
	if err := m.Send(t.Context(), message("avocat@avocat.example")); err != nil {
		t.Fatalf("Send after a restart: %v", err)
	}
	if n := srv.Count(); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

func TestTLSIsRequired(t *testing.T) {
	plain := testsmtp.Start(t, testsmtp.Options{NoTLS: true})
	// smtp:// requires STARTTLS.
	m := newMailer(t, smtp.Config{URL: "smtp://" + testsmtp.User + ":" + testsmtp.Password + "@" + plain.Addr()})
	err := m.Send(t.Context(), message("avocat@avocat.example"))
	if err == nil || notify.Permanent(err) {
		t.Fatalf("Send without STARTTLS = %v, want a temporary error", err)
	}
	// Opportunistic: never a password over a connection in clear.
	m = newMailer(t, smtp.Config{URL: plain.URL()})
	err = m.Send(t.Context(), message("avocat@avocat.example"))
	if err == nil {
		t.Fatal("Send authenticated over a connection in clear")
	}
	if strings.Contains(err.Error(), testsmtp.Password) {
		t.Errorf("the error shows the password: %v", err)
	}
	if n := plain.Count(); n != 0 {
		t.Errorf("%d messages went in clear", n)
	}

	// A certificate the CA does not sign is refused.
	srv := testsmtp.Start(t, testsmtp.Options{})
	other := testsmtp.Start(t, testsmtp.Options{})
	m = newMailer(t, smtp.Config{URL: "smtp://" + testsmtp.User + ":" + testsmtp.Password + "@" + srv.Addr() + "?ca=" + other.CAFile()})
	if err := m.Send(t.Context(), message("avocat@avocat.example")); err == nil {
		t.Fatal("Send trusted a certificate its CA did not sign")
	}
	if n := srv.Count(); n != 0 {
		t.Errorf("%d messages went to an unverified server", n)
	}
}

func TestPassword(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.Options{})
	base := "smtp://" + testsmtp.User + "@" + srv.Addr() + "?ca=" + srv.CAFile()
	// From the configuration (NAVETTE_SMTP_PASSWORD), when the URL has none.
	m := newMailer(t, smtp.Config{URL: base, Password: testsmtp.Password})
	if err := m.Send(t.Context(), message("avocat@avocat.example")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if strings.Contains(m.String(), testsmtp.Password) {
		t.Errorf("String shows the password: %s", m)
	}
	// A wrong password: a temporary error (the operator fixes it) that does
	// not show it.
	m = newMailer(t, smtp.Config{URL: "smtp://" + testsmtp.User + ":wrong-secret@" + srv.Addr() + "?ca=" + srv.CAFile()})
	err := m.Send(t.Context(), message("avocat@avocat.example"))
	if err == nil || notify.Permanent(err) {
		t.Fatalf("Send with a wrong password = %v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") || strings.Contains(m.String(), "wrong-secret") {
		t.Errorf("the password shows: %v / %s", err, m)
	}
	if _, err := smtp.New(smtp.Config{URL: base}); navette.ErrorCode(err) != navette.EINVALID {
		t.Errorf("New(user without password) = %v, want EINVALID", err)
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		"",
		"mail.example",
		"http://mail.example",
		"smtp://",
		"smtp://mail.example/path",
		"smtp://mail.example:0",
		"smtp://mail.example:99999",
		"smtp://mail.example?starttls=never",
		"smtp://mail.example?verify=no",
		"smtps://mail.example?starttls=opportunistic",
		"smtp://mail.example?ca=" + ca,
		"smtp://mail.example?ca=/does/not/exist.pem",
		"smtp://user:pw@mail.example?starttls=opportunistic&starttls=required",
	} {
		if _, err := smtp.New(smtp.Config{URL: u}); navette.ErrorCode(err) != navette.EINVALID {
			t.Errorf("New(%q) = %v, want EINVALID", u, err)
		}
	}
	for _, u := range []string{
		"smtp://mail.example",
		"smtp://mail.example:25?starttls=opportunistic",
		"smtps://user:pass@mail.example",
		"smtp://user:pass@mail.example:2525/",
	} {
		m, err := smtp.New(smtp.Config{URL: u})
		if err != nil {
			t.Errorf("New(%q): %v", u, err)
			continue
		}
		if strings.Contains(m.String(), "pass@") {
			t.Errorf("String of %q shows the password: %s", u, m)
		}
		m.Close()
	}
}

func TestHeaderInjection(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.Options{})
	m := newMailer(t, smtp.Config{URL: srv.URL()})

	// A display name, subject or Message-ID with a line break is refused
	// (notify removes them before; this is the last line of defence).
	for _, mod := range []func(*notify.Message){
		func(m *notify.Message) { m.To.Name = "Evil\r\nBcc: spy@evil.example" },
		func(m *notify.Message) { m.From.Name = "navette\nX-Injected: yes" },
		func(m *notify.Message) { m.Subject = "Hello\r\nBcc: spy@evil.example" },
		func(m *notify.Message) { m.ID = "x@y\r\nBcc: spy@evil.example" },
	} {
		msg := message("avocat@avocat.example")
		mod(msg)
		if err := m.Send(t.Context(), msg); !notify.Permanent(err) {
			t.Errorf("Send(header with CR LF) = %v, want EINVALID", err)
		}
	}
	// So is an address that is not one.
	msg := message("avocat@avocat.example>\r\nBcc: spy@evil.example")
	if err := m.Send(t.Context(), msg); !notify.Permanent(err) {
		t.Errorf("Send(bad address) = %v, want EINVALID", err)
	}
	if n := srv.Count(); n != 0 {
		t.Errorf("%d messages, want none", n)
	}

	// Names are encoded (RFC 2047), never written raw.
	msg = message("avocat@avocat.example")
	msg.To.Name = `Maître "Bcc: spy@evil.example" <x>, y@evil.example`
	if err := m.Send(t.Context(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	if r := got[0]; len(r.To) != 1 || r.To[0] != "avocat@avocat.example" || r.Header.Get("Bcc") != "" {
		t.Errorf("envelope recipients %v, Bcc %q", r.To, r.Header.Get("Bcc"))
	}
	if to, err := got[0].Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "avocat@avocat.example" || to[0].Name != msg.To.Name {
		t.Errorf("To %v (%v)", to, err)
	}
}

func TestContextCancelledDial(t *testing.T) {
	// A server that accepts but never greets: the send ends with the
	// context (or the timeout), as a temporary error.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	m := newMailer(t, smtp.Config{URL: "smtp://" + l.Addr().String(), Timeout: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err = m.Send(ctx, message("avocat@avocat.example"))
	if err == nil || notify.Permanent(err) {
		t.Fatalf("Send to a mute server = %v, want a temporary error", err)
	}
}
