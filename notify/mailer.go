package notify

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"navette"
)

// Address is an e-mail address with an optional display name.
type Address struct {
	Name  string
	Email string
}

// String returns the address as a header value would show it, encoded as
// RFC 5322 and RFC 2047 require.
func (a Address) String() string {
	return (&mail.Address{Name: a.Name, Address: a.Email}).String()
}

// Display returns the address as people read it: "Name <address>", not
// encoded.
func (a Address) Display() string {
	if a.Name == "" {
		return "<" + a.Email + ">"
	}
	return a.Name + " <" + a.Email + ">"
}

// Message is a rendered notice, ready for a Mailer. Its header fields hold
// no line breaks nor other control characters (the Renderer removes them),
// and nothing in it is a file's content.
type Message struct {
	// ID is the Message-ID without its angle brackets, "NOTICEID@HOST": the
	// same for every attempt to deliver one notice, so that a rare
	// duplicate (a crash between sending and recording it) can be
	// recognised by mail systems and by people.
	ID       string
	NoticeID string
	Kind     navette.NoticeKind
	Lang     string // "fr" or "en"
	Date     time.Time
	From     Address
	To       Address
	Subject  string
	Text     string // text/plain body
	HTML     string // text/html body, the alternative of Text
}

// Mailer hands messages to a mail system.
type Mailer interface {
	// Send delivers m, or returns an error. An error with code EINVALID
	// means that m can never be delivered as it is (the server refused its
	// recipient or content for good: SMTP 5xx after MAIL FROM) and must not
	// be retried; any other error is temporary (server unreachable,
	// refusing for now, misconfigured) and the send is tried again later.
	// Send may be called from several goroutines at once.
	Send(ctx context.Context, m *Message) error
}

// MailerFunc adapts a function to the Mailer interface.
type MailerFunc func(ctx context.Context, m *Message) error

// Send calls f(ctx, m).
func (f MailerFunc) Send(ctx context.Context, m *Message) error { return f(ctx, m) }

// Permanent reports whether err, returned by a Mailer, means the message can
// never be delivered.
func Permanent(err error) bool { return navette.IsCode(err, navette.EINVALID) }

// maxHeaderText bounds the text of a header field made from user data.
const maxHeaderText = 200

// headerText returns s fit for a header field: see oneLine.
func headerText(s string) string { return oneLine(s, maxHeaderText) }

// oneLine returns s as one line of text: every control character (CR and
// LF first of all, which would start a new header or forge a line of the
// body), line or paragraph separator and bidirectional control becomes a
// space, runs of spaces become one, and the result is trimmed and cut to
// limit bytes on a character boundary. Invalid UTF-8 is replaced.
func oneLine(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if breaksLine(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if b.Len()+len(string(r)) > limit {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// breaksLine reports whether oneLine turns r into a space: a control
// character, a space, a line or paragraph separator or a bidirectional
// control.
func breaksLine(r rune) bool {
	return unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
}

// validAddress reports whether email is a plain address fit for a header
// and an SMTP envelope.
func validAddress(email string) bool {
	if email == "" || len(email) > 254 || strings.ContainsFunc(email, unfitInAddress) {
		return false
	}
	a, err := mail.ParseAddress(email)
	return err == nil && a.Address == email
}

// unfitInAddress reports whether r has no place in a plain address: a
// space, a control character or an angle bracket.
func unfitInAddress(r rune) bool { return r <= ' ' || r == 0x7f || r == '<' || r == '>' }
