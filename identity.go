package navette

import (
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Court is a jurisdiction (tribunal judiciaire, cour d'appel…). Its services
// are users with RoleService and its CourtID.
type Court struct {
	ID        string
	Code      string // stable code from the directory, such as "TJ-AMIENS"; unique
	Name      string
	Source    string // directory that made it; empty if made by hand
	CreatedAt time.Time
}

// Member is an agent's membership of a service mailbox.
type Member struct {
	ServiceID string
	UserID    string
	// Source is the directory that set the membership ("ldap"), or empty
	// when a court admin set it; a sync only replaces its own.
	Source    string
	CreatedAt time.Time
}

// SessionStage is how far a sign-in has gone.
type SessionStage string

// Session stages. A partner who entered their e-mailed code must still give
// their second factor (or enrol one) before the session is full.
const (
	StageSecondFactor SessionStage = "second_factor" // first factor done; TOTP expected
	StageEnrol        SessionStage = "enrol"         // first factor done; must enrol TOTP
	StageFull         SessionStage = "full"          // signed in
)

// Session is a server-side browser session. The cookie holds a secret; only
// its SHA-256 is stored.
type Session struct {
	ID        string
	Hash      []byte // SHA-256 of the cookie's secret
	UserID    string
	Stage     SessionStage
	Method    string // how the user signed in: "oidc", "ldap", "code", "code+totp"
	CreatedAt time.Time
	SeenAt    time.Time // last request, kept to the minute
	ExpiresAt time.Time // absolute end
	// Pending holds state sealed by the key ring while the session is not
	// full, such as a TOTP secret being enrolled; empty otherwise.
	Pending []byte
	// VerifiedAt is when the person last proved who they are in this
	// session: the end of the sign-in, or the last step-up (a passkey or
	// TOTP code given again before a sensitive action). Zero for sessions
	// made before it was kept.
	VerifiedAt time.Time
}

// SignInCode is a one-time code e-mailed to a user. Only a hash is stored.
type SignInCode struct {
	ID        string
	UserID    string
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int       // wrong tries so far
	UsedAt    time.Time // zero until used
}

// UserFilter selects users for SearchUsers.
type UserFilter struct {
	// Text, if not empty, keeps users each of whose words starts a word of
	// their name, e-mail, organisation, external id, court or service,
	// ignoring case and accents (see SearchWords).
	Text string
	// Roles, if not empty, keeps users with one of these roles.
	Roles []Role
	// CourtID, if set, keeps users of this court.
	CourtID string
	// Source, if set, keeps users from this directory.
	Source string
	// Enabled keeps only users who are not disabled.
	Enabled bool
	// After, if set, keeps users whose id sorts after it (a cursor, for
	// listing without Text).
	After string
	Limit int // at most this many; 0 means 20, at most 1000
}

// SearchWords splits text into the lower-case, accent-free words recipient
// search compares: "Lévêque-Dupont d'Æthel" gives "leveque", "dupont",
// "d", "aethel". Letters and digits make words; everything else separates
// them.
func SearchWords(text string) []string {
	var b strings.Builder
	// NFKD also unfolds compatibility forms: ligatures (ﬁ), full-width
	// letters, and letter symbols with no lower case of their own (ϒ).
	for _, r := range norm.NFKD.String(text) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'æ' || r == 'Æ':
			b.WriteString("ae")
		case r == 'œ' || r == 'Œ':
			b.WriteString("oe")
		case r == 'ß':
			b.WriteString("ss")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if r = unicode.ToLower(r); unicode.IsUpper(r) {
				continue // an upper-case letter without a lower case
			}
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}
