package notify

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
	_ "time/tzdata" // Europe/Paris, whatever the system has

	"navette"
	"navette/i18n"
)

// templates hold, per language, the subject and text body of each kind
// (LANG.txt and LANG_*.txt, text/template: "KIND.subject", "KIND.text")
// and its HTML body (LANG.html and LANG_*.html, html/template:
// "KIND.html").
//
//go:embed templates/*.txt templates/*.html
var templates embed.FS

var (
	textTemplates = map[string]*texttemplate.Template{}
	htmlTemplates = map[string]*htmltemplate.Template{}
	paris         *time.Location
)

func init() {
	var err error
	if paris, err = time.LoadLocation("Europe/Paris"); err != nil {
		panic("notify: " + err.Error())
	}
	for _, lang := range []string{navette.LangFrench, navette.LangEnglish} {
		textTemplates[lang] = texttemplate.Must(texttemplate.New(lang).Funcs(texttemplate.FuncMap(funcs(lang))).
			ParseFS(templates, "templates/"+lang+"*.txt"))
		htmlTemplates[lang] = htmltemplate.Must(htmltemplate.New(lang).Funcs(htmltemplate.FuncMap(funcs(lang))).
			ParseFS(templates, "templates/"+lang+"*.html"))
	}
}

// funcs are the templates' functions in lang: plural picks the form n
// takes by the language's rule (French puts 0 and 1 in the singular);
// count writes n, grouped, and the noun in that form.
func funcs(lang string) map[string]any {
	return map[string]any{
		"plural": func(n int, one, other string) string { return i18n.Plural(lang, int64(n), one, other) },
		"count":  func(n int, one, other string) string { return i18n.Count(lang, int64(n), one, other) },
		"num":    func(n int) string { return i18n.Number(lang, int64(n)) },
	}
}

// Renderer makes messages from notices. Its fields are set once before use.
type Renderer struct {
	// PublicURL is the base URL of the service as users reach it, such as
	// https://navette.justice.fr: the links of the messages start with it,
	// and its host names their Message-IDs.
	PublicURL string
	// From is the sender of every message.
	From Address
	// IncludeNames lets messages show file names and the deposit's
	// message. Off, they never do, even if the notice carries them.
	IncludeNames bool
	// Errors, if set, says a service's English error message (the reason
	// a request_failed notice gives) in lang, as the web pages say it;
	// otherwise messages quote it as is.
	Errors func(lang, msg string) string
}

// NewRenderer returns a Renderer, checking its settings. Returns EINVALID
// for a public URL that is not an absolute http or https URL, or a sender
// address that is not a plain e-mail address.
func NewRenderer(publicURL string, from Address, includeNames bool) (*Renderer, error) {
	if !validPublicURL(publicURL) {
		return nil, navette.Errorf(navette.EINVALID, "The public URL must be an absolute http or https URL such as https://navette.example.")
	}
	from.Name = headerText(from.Name)
	if !validAddress(from.Email) {
		return nil, navette.Errorf(navette.EINVALID, "The sender of e-mails must be a plain address such as navette@justice.example.")
	}
	return &Renderer{PublicURL: strings.TrimSuffix(publicURL, "/"), From: from, IncludeNames: includeNames}, nil
}

// validPublicURL reports whether s is an absolute http or https URL with a
// host, and neither user, query nor fragment.
func validPublicURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil && u.RawQuery == "" && u.Fragment == ""
}

// errorText returns msg in lang through Errors, if set.
func (r *Renderer) errorText(lang, msg string) string {
	if r.Errors == nil || msg == "" {
		return msg
	}
	return r.Errors(lang, msg)
}

// roleNames say, per language, the roles a request may give.
var roleNames = map[string]map[navette.Role]string{
	navette.LangFrench: {
		navette.RoleAdmin:   "administrateur de la plateforme",
		navette.RoleAuditor: "auditeur (consultation du journal d’audit)",
	},
	navette.LangEnglish: {
		navette.RoleAdmin:   "platform administrator",
		navette.RoleAuditor: "auditor (reads the audit journal)",
	},
}

// roleText names role in lang, or gives it as is if it is none known.
func roleText(lang, role string) string {
	if s := roleNames[lang][navette.Role(role)]; s != "" {
		return s
	}
	return role
}

// wherePath is the path, under the public URL, of the page where the
// addressee of a notice of kind sees what a request changed about them,
// given the role it gave: the inbox of a new mailbox member, the pages of
// a new role, the home page of someone whose access is restored.
func wherePath(kind navette.NoticeKind, role string) string {
	switch {
	case kind == navette.NoticeMemberAdded:
		return "/inbox"
	case kind == navette.NoticeRoleGranted && role == string(navette.RoleAdmin):
		return "/admin"
	case kind == navette.NoticeRoleGranted && role == string(navette.RoleAuditor):
		return "/audit"
	}
	return "/"
}

// actionText names the request action in lang, or gives it as is if it
// is none known.
func actionText(lang, action string) string {
	return i18n.RequestActionLabel(lang, navette.RequestAction(action))
}

// DepositPath is the path, under the public URL, of the link to a deposit
// that messages carry. It stays valid whatever the web interface becomes.
func DepositPath(depositID string) string { return "/d/" + depositID }

// RequestsPath is the path, under the public URL, of the page where
// admins review the requests of the two-person rule.
const RequestsPath = "/admin/requests"

// view is what templates see.
type view struct {
	Kind         navette.NoticeKind
	To           Person
	Home         string // the public URL
	Link         string // the deposit's link, if the notice is about one
	Reference    string
	Files        int
	Expires      string // formatted in Paris time, in the message's language
	Sender       Person
	FromSpace    Person // the mailbox Sender sent on behalf of; empty if in person
	Recipient    Person
	Downloaded   string
	Limit        int
	NeverFetched []Person
	FileNames    []string
	Message      string
	Reason       string
	Code         string
	CodeExpires  string
	Unscanned    bool
	NoReviewer   bool // a recovery request nobody may decide now
	Alert        notifyAlert
	Forwarder    Person
	ForwardedTo  []Person
	// Request is the admin request an approval notice is about, and
	// Requests the page where it is reviewed; Where is the page where the
	// person a request acted on sees what it changed.
	Request  notifyRequest
	Requests string
	Where    string
	// Admin is who revoked or restored the addressee's access by hand;
	// nil if a directory sync did.
	Admin *Person
	// Waiting are the deposits waiting for the addressee, in an
	// access_restored notice.
	Waiting []notifyWaiting
}

// notifyWaiting is a deposit waiting for the addressee as templates see
// it: its reference on one line, its expiry formatted, its link.
type notifyWaiting struct {
	Reference, Expires, Link string
}

// notifyRequest is an admin request as templates see it: its action and
// role in words, its time formatted.
type notifyRequest struct {
	ID, Action, Error, Role, At string
	Reviewer, Subject, Mailbox  Person
	ToUse, Interrupted          bool
}

// notifyAlert is a content alert as templates see it, each value on one
// line.
type notifyAlert struct {
	FileID, SHA256, Check, Detail string
	Size                          int64
}

// Render makes the message of notice n to its addressee to, with the data
// of its payload. Returns EINVALID if the addressee's address is not fit for
// a message (the notice can never be delivered).
func (r *Renderer) Render(n *navette.Notice, to *navette.User, d *Data) (*Message, error) {
	if !validAddress(to.Email) {
		return nil, navette.Errorf(navette.EINVALID, "The addressee's e-mail address is not usable.")
	}
	lang := to.Lang
	if lang != navette.LangEnglish {
		lang = navette.LangFrench
	}
	tt, ht := textTemplates[lang], htmlTemplates[lang]
	kind := string(n.Kind)
	if tt.Lookup(kind+".subject") == nil || ht.Lookup(kind+".html") == nil {
		return nil, navette.Errorf(navette.EINVALID, "No template for notices of kind %q.", n.Kind)
	}
	subject, text, html, err := execute(tt, ht, kind, r.view(n, to, d, lang))
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return &Message{
		ID:       n.ID + "@" + r.host(),
		NoticeID: n.ID,
		Kind:     n.Kind,
		Lang:     lang,
		Date:     n.CreatedAt,
		From:     r.From,
		To:       Address{Name: headerText(to.Name), Email: to.Email},
		Subject:  headerText(subject),
		Text:     strings.ToValidUTF8(text, "\uFFFD"),
		HTML:     strings.ToValidUTF8(html, "\uFFFD"),
	}, nil
}

// view returns what the templates of notice n to its addressee to see, in
// lang. Every value but the deposit's message is one line: none can forge
// a line of the body (a fake link, say) any more than a header.
func (r *Renderer) view(n *navette.Notice, to *navette.User, d *Data, lang string) view {
	v := view{
		Kind:         n.Kind,
		To:           Person{Name: headerText(to.Name), Email: to.Email},
		Home:         r.PublicURL + "/",
		Reference:    oneLine(d.Reference, maxLineText),
		Files:        d.Files,
		Expires:      formatTime(d.ExpiresAt, lang),
		Sender:       person(d.Sender),
		FromSpace:    person(d.FromSpace),
		Recipient:    person(d.Recipient),
		Downloaded:   formatTime(d.DownloadedAt, lang),
		Limit:        d.Limit,
		NeverFetched: people(d.NeverFetched),
		Reason:       oneLine(d.Reason, maxLineText),
		Code:         oneLine(d.Code, maxLineText),
		CodeExpires:  formatTime(d.CodeExpiresAt, lang),
		Unscanned:    d.Unscanned,
		NoReviewer:   d.NoReviewer,
		Forwarder:    person(d.Forwarder),
		ForwardedTo:  people(d.ForwardedTo),
	}
	if a := d.Alert; a != nil {
		v.Alert = notifyAlert{FileID: oneLine(a.FileID, maxLineText), SHA256: oneLine(a.SHA256, maxLineText),
			Check: oneLine(a.Check, maxLineText), Detail: oneLine(a.Detail, maxLineText), Size: a.Size}
	}
	v.Where = r.PublicURL + wherePath(n.Kind, "")
	if q := d.Request; q != nil {
		v.Request = r.request(q, lang)
		v.Requests = r.PublicURL + RequestsPath
		v.Where = r.PublicURL + wherePath(n.Kind, q.Role)
	}
	if a := d.Admin; a != nil {
		p := person(*a)
		v.Admin = &p
	}
	if n.DepositID != "" {
		v.Link = r.PublicURL + DepositPath(n.DepositID)
	}
	for _, w := range d.Waiting {
		v.Waiting = append(v.Waiting, notifyWaiting{Reference: oneLine(w.Reference, maxLineText), Expires: formatTime(w.ExpiresAt, lang),
			Link: r.PublicURL + DepositPath(w.DepositID)})
	}
	if r.IncludeNames {
		for _, name := range d.FileNames {
			v.FileNames = append(v.FileNames, oneLine(name, maxLineText))
		}
		v.Message = strings.ToValidUTF8(d.Message, "\uFFFD")
	}
	return v
}

// request returns q as templates see it in lang, each value on one line.
func (r *Renderer) request(q *Request, lang string) notifyRequest {
	return notifyRequest{
		ID:          oneLine(q.ID, maxLineText),
		Action:      oneLine(actionText(lang, q.Action), maxLineText),
		Error:       oneLine(r.errorText(lang, q.Error), maxLineText),
		Role:        oneLine(roleText(lang, q.Role), maxLineText),
		At:          formatTime(q.At, lang),
		Reviewer:    person(q.Reviewer),
		Subject:     person(q.Subject),
		Mailbox:     person(q.Mailbox),
		ToUse:       q.ToUse,
		Interrupted: q.Interrupted,
	}
}

// execute runs the subject, text and HTML templates of kind on v.
func execute(tt *texttemplate.Template, ht *htmltemplate.Template, kind string, v view) (subject, text, html string, err error) {
	var s, t, h bytes.Buffer
	if err := tt.ExecuteTemplate(&s, kind+".subject", v); err != nil {
		return "", "", "", err
	}
	if err := tt.ExecuteTemplate(&t, kind+".text", v); err != nil {
		return "", "", "", err
	}
	if err := ht.ExecuteTemplate(&h, kind+".html", v); err != nil {
		return "", "", "", err
	}
	return s.String(), t.String(), h.String(), nil
}

// maxLineText bounds a value shown on a line of a body.
const maxLineText = 300

// person returns p with its name and address on one line each.
func person(p Person) Person {
	return Person{Name: oneLine(p.Name, maxLineText), Email: oneLine(p.Email, maxLineText)}
}

// people returns ps, each through person; nil for none.
func people(ps []Person) []Person {
	var out []Person
	for _, p := range ps {
		out = append(out, person(p))
	}
	return out
}

// host returns the host name of the public URL, for Message-IDs.
func (r *Renderer) host() string {
	if u, err := url.Parse(r.PublicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "navette.invalid"
}

var (
	frDays   = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// formatTime writes t in Paris time, in the language: "lundi 9 novembre
// 2026 à 10:00 (heure de Paris)" or "Monday 9 November 2026 at 10:00 (Paris
// time)". The zero time gives "".
func formatTime(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(paris)
	if lang == navette.LangEnglish {
		return t.Format("Monday 2 January 2006 at 15:04") + " (Paris time)"
	}
	day := t.Day()
	d := strconv.Itoa(day)
	if day == 1 {
		d = "1er"
	}
	return frDays[t.Weekday()] + " " + d + " " + frMonths[t.Month()-1] + " " + strconv.Itoa(t.Year()) + " à " + t.Format("15:04") + " (heure de Paris)"
}
