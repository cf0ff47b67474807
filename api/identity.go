package api

import "time"

// Paths of sign-in, identity and administration.
const (
	PathAuthCode       = Version + "/auth/code"         // POST SignInCodeRequest: e-mail a code
	PathAuthCodeVerify = Version + "/auth/code/verify"  // POST SignInCodeVerify: start a session
	PathAuthTOTP       = Version + "/auth/totp"         // POST SecondFactor: complete a session
	PathAuthEnrol      = Version + "/auth/enrol"        // POST: start a TOTP enrolment (Enrolment)
	PathAuthEnrolDone  = Version + "/auth/enrol/verify" // POST SecondFactor: finish it
	PathAuthPassword   = Version + "/auth/password"     // POST PasswordSignIn: LDAP bind
	PathAuthOIDC       = Version + "/auth/oidc"         // GET: redirect to the identity provider
	PathAuthOIDCReturn = Version + "/auth/oidc/callback"
	PathAuthSignOut    = Version + "/auth/signout" // POST: end the session
	PathAuthStepUp     = Version + "/auth/step-up" // POST SecondFactor: make a full session fresh again
	PathMe             = Version + "/me"           // GET Me
	PathRecipients     = Version + "/recipients"   // GET ?q=TEXT&limit=N: RecipientList
	PathTokens         = Version + "/tokens"       // GET TokenList, POST CreateToken, DELETE /{id}
	PathCourts         = Version + "/courts"       // GET CourtList, POST CreateCourt, GET|POST /{id}/services
	PathServices       = Version + "/services"     // GET /{id}/members, PUT|DELETE /{id}/members/{uid}
	PathAdminUsers     = Version + "/admin/users"  // GET ?q=&role=&status=&directory=&cursor=: UserList, GET /{id}: UserDetail and DELETE /{id}/sessions/{sid} (all three to court admins too, for their court), PATCH /{id}, POST /{id}/reset-totp, GET /{id}/tokens
	// PathAdminTokens revokes anyone's API token: DELETE /{id} (platform
	// admins only).
	PathAdminTokens = Version + "/admin/tokens"
	// PathAdminDirectory receives a directory flow: POST
	// /admin/directories/{source}/import?dry_run=1&force=1 with the CSV as
	// body answers a DirectoryReport.
	PathAdminDirectory = Version + "/admin/directories"
	// PathAdminLDAPSync syncs the ministry directory now (POST
	// ?dry_run=1&force=1).
	PathAdminLDAPSync = Version + "/admin/ldap/sync"
	// PathAdminSettings holds the platform settings: GET PlatformSettings,
	// PUT Settings (platform admins only).
	PathAdminSettings = Version + "/admin/settings"
	PathEvents        = Version + "/events" // GET ?deposit=&after=&limit=: EventList (auditors, admins)
)

// SignInCodeRequest asks for a sign-in code by e-mail.
type SignInCodeRequest struct {
	Email string `json:"email"`
}

// SignInCodeVerify gives the code received.
type SignInCodeVerify struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

// SecondFactor gives a code from an authenticator application.
type SecondFactor struct {
	Code string `json:"code"`
}

// PasswordSignIn signs in with a directory login and password.
type PasswordSignIn struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// Session says where a sign-in stands. CSRF is the token that
// state-changing requests made with the session cookie must carry in the
// X-CSRF-Token header.
type Session struct {
	Stage     string    `json:"stage"` // second_factor, enrol, full
	ExpiresAt time.Time `json:"expires_at"`
	CSRF      string    `json:"csrf"`
	// RecoveryCodes are the one-time recovery codes made as the person
	// enrolled their second factor: given once, in the answer that ends
	// the enrolment.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

// Enrolment is a TOTP secret to enrol.
type Enrolment struct {
	Secret string `json:"secret"` // base32
	URI    string `json:"uri"`    // otpauth://
}

// User describes a person or a service mailbox.
type User struct {
	ID         string     `json:"id"`
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Kind       string     `json:"kind,omitempty"`
	Org        string     `json:"org,omitempty"`
	Court      *Court     `json:"court,omitempty"`
	Source     string     `json:"source,omitempty"`
	ExternalID string     `json:"external_id,omitempty"`
	Disabled   bool       `json:"disabled"` // always present: a client decoding into a reused value sees false
	Status     string     `json:"directory_status,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	TOTP       bool       `json:"totp,omitempty"` // a second factor is enrolled
	CreatedAt  time.Time  `json:"created_at"`
}

// Me is the signed-in user, with the session if there is one.
type Me struct {
	User
	Services []User   `json:"services,omitempty"` // service mailboxes the user is a member of
	Session  *Session `json:"session,omitempty"`
}

// UserList is a page of users; Next is the cursor of the next page.
type UserList struct {
	Users []User `json:"users"`
	Next  string `json:"next,omitempty"`
}

// RecipientList is the result of a recipient search.
type RecipientList struct {
	Recipients []User `json:"recipients"`
}

// UpdateUser changes a user (platform admins). Absent fields stay.
type UpdateUser struct {
	Role     *string `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
	// Reason tells the second admin why, when the change waits for one
	// (the two-person rule: the answer is then 202 and a Request).
	Reason string `json:"reason,omitempty"`
}

// Court describes a court.
type Court struct {
	ID   string `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// CourtList lists courts.
type CourtList struct {
	Courts []Court `json:"courts"`
}

// CreateCourt is the body of POST /api/v1/courts.
type CreateCourt struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// CreateService is the body of POST /api/v1/courts/{id}/services.
type CreateService struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Token describes an API token; Secret is set only in the answer that
// creates it.
type Token struct {
	ID        string     `json:"id"`
	Label     string     `json:"label,omitempty"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	LastUsed  *time.Time `json:"last_used_at,omitempty"`
	Secret    string     `json:"secret,omitempty"`
}

// TokenList lists a user's tokens.
type TokenList struct {
	Tokens []Token `json:"tokens"`
}

// CreateToken is the body of POST /api/v1/tokens.
type CreateToken struct {
	Label   string   `json:"label,omitempty"`
	Scopes  []string `json:"scopes,omitempty"`   // absent: every scope the role allows
	TTLDays int      `json:"ttl_days,omitempty"` // absent: 90
}

// DirectoryChange is one person a directory sync adds, updates, revokes
// or restores; package directory reports its changes in this type
// (directory.Change).
type DirectoryChange struct {
	Line       int      `json:"line,omitempty"` // line in the flow; 0 for revocations of people absent from it
	ExternalID string   `json:"external_id"`
	Email      string   `json:"email"`
	Name       string   `json:"name"`
	Fields     []string `json:"fields,omitempty"` // for updates: the fields that change ("email", "name", "org", "court"…)
	Reason     string   `json:"reason,omitempty"` // for revocations: "absent" or the directory's status
}

// DirectoryReport is what a directory sync did, or would do.
type DirectoryReport struct {
	Source    string            `json:"source"`
	Applied   bool              `json:"applied"`
	Added     []DirectoryChange `json:"added"`
	Updated   []DirectoryChange `json:"updated"`
	Revoked   []DirectoryChange `json:"revoked"`
	Restored  []DirectoryChange `json:"restored"`
	Unchanged int               `json:"unchanged"`
	// Ignored counts the people listed as not active who are not on the
	// platform: nothing to do for them.
	Ignored int `json:"ignored"`
}

// Event is one entry of the audit journal.
type Event struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	ActorID   string    `json:"actor_id,omitempty"`
	DepositID string    `json:"deposit_id,omitempty"`
	FileID    string    `json:"file_id,omitempty"`
	Size      int64     `json:"size,omitempty"`
	SHA256    string    `json:"sha256,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	// Hash links the event to the one before it in the whole journal, in
	// hex: see navette.ChainHash. Empty for events journaled before the
	// chain began.
	Hash string `json:"hash,omitempty"`
	// Auth is how the actor of an event they caused had signed in (a
	// session's method, or "token"), covered by Hash when set; Assurance
	// is its level (navette.MethodAssurance).
	Auth      string `json:"auth,omitempty"`
	Assurance string `json:"assurance,omitempty"`
	// Leaf is the event's index in the journal's Merkle tree, 0 for the
	// first: the number receipts give an event ("n° 175 du journal").
	// Absent for an event that has none.
	Leaf *int64 `json:"leaf,omitempty"`
}

// EventList is a page of the journal; pass the last Seq as after for the
// next.
type EventList struct {
	Events []Event `json:"events"`
}

// Settings are the limits platform admins set; a zero (or absent) field
// leaves the server's configuration in force.
type Settings struct {
	MaxFileSize      int64 `json:"max_file_size,omitempty"`      // bytes per file
	MaxFiles         int   `json:"max_files,omitempty"`          // files per deposit
	MaxRetentionDays int   `json:"max_retention_days,omitempty"` // ceiling of the retention a sender may choose
	MaxRecipients    int   `json:"max_recipients,omitempty"`     // recipients per deposit
}

// PlatformSettings are the settings admins set, the configuration's, and
// the ones in force as a result.
type PlatformSettings struct {
	Set        Settings   `json:"set"`
	Configured Settings   `json:"configured"`
	Effective  Settings   `json:"effective"`
	UpdatedAt  *time.Time `json:"updated_at,omitempty"`
	UpdatedBy  string     `json:"updated_by,omitempty"` // the e-mail of the admin who last saved them
}
