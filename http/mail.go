package http

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"navette"
	"navette/api"
	"navette/notify"
)

// handleDepositLink sends the link that e-mails carry (/d/{id}) to the
// deposit. It tells nothing about the deposit: the target checks access.
// The link stays valid whatever the web interface becomes. A link cut or
// mistyped gets, in a browser, the page saying there is no such deposit.
func (s *Server) handleDepositLink(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	browser := s.Pages != nil && wantsHTML(r)
	if !navette.ValidID(id) {
		err := navette.Errorf(navette.ENOTFOUND, "No such deposit.")
		if browser {
			s.Pages.Error(w, r, err)
			return
		}
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if browser {
		http.Redirect(w, r, "/deposits/"+id, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, api.PathDeposits+"/"+id, http.StatusSeeOther)
}

func (s *Server) handleListNotices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := navette.NoticeFilter{State: navette.NoticeState(q.Get("state")), DepositID: q.Get("deposit")}
	if f.State != "" && !f.State.Valid() {
		s.writeError(w, r, navette.Errorf(navette.EINVALID, "state must be pending, sent or dead."))
		return
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			s.writeError(w, r, navette.Errorf(navette.EINVALID, "limit must be a number from 1 to 1000."))
			return
		}
		f.Limit = n
	}
	if s.Mail == nil {
		s.writeError(w, r, navette.Errorf(navette.ENOTIMPLEMENTED, "E-mail is not configured."))
		return
	}
	vs, err := s.Mail.Notices(r.Context(), navette.UserFromContext(r.Context()), f)
	writeResult(s, w, r, vs, err, func(vs []notify.NoticeView) api.NoticeList {
		return api.NoticeList{Notices: jsonList(vs, noticeJSON)}
	})
}

func (s *Server) handleReplayNotice(w http.ResponseWriter, r *http.Request) {
	if s.Mail == nil {
		s.writeError(w, r, navette.Errorf(navette.ENOTIMPLEMENTED, "E-mail is not configured."))
		return
	}
	v, err := s.Mail.Replay(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	writeResult(s, w, r, v, err, func(v *notify.NoticeView) api.Notice { return noticeJSON(*v) })
}

// devMailCSS styles the pages of /dev/mail; the policy allows it by hash
// and nothing else: no script, no other origin.
const devMailCSS = `body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#1e1e1e}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top}
pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}.note{color:#666;font-size:.9em}`

var devMailCSP = func() string {
	h := sha256.Sum256([]byte(devMailCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
}()

// devMailHTMLCSP is the policy of a message's own HTML: its inline styles,
// nothing else; sandboxed.
const devMailHTMLCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'; sandbox"

var devMailPages = template.Must(template.New("").Funcs(template.FuncMap{"paris": parisTime}).Parse(`
{{define "list"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>navette — local outbox</title><style>{{.CSS}}</style></head>
<body><h1>Local outbox</h1>
<p class="note">No SMTP server is configured: e-mails are kept here (also: <code>navette mail ls</code>). Newest first.</p>
<table><tr><th>Date</th><th>To</th><th>Subject</th><th>Kind</th></tr>
{{range .Messages}}<tr><td>{{paris .Date}}</td><td>{{.To.Display}}</td><td><a href="/dev/mail/{{.NoticeID}}">{{.Subject}}</a></td><td>{{.Kind}}</td></tr>
{{else}}<tr><td colspan="4">No message yet.</td></tr>{{end}}
</table></body></html>{{end}}
{{define "show"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.M.Subject}}</title><style>{{.CSS}}</style></head>
<body><p><a href="/dev/mail">← outbox</a></p>
<table>
<tr><th>Message-ID</th><td>&lt;{{.M.ID}}&gt;</td></tr>
<tr><th>Date</th><td>{{paris .M.Date}}</td></tr>
<tr><th>From</th><td>{{.M.From.Display}}</td></tr>
<tr><th>To</th><td>{{.M.To.Display}}</td></tr>
<tr><th>Subject</th><td>{{.M.Subject}}</td></tr>
<tr><th>Language</th><td>{{.M.Lang}}</td></tr>
</table>
<p><a href="/dev/mail/{{.M.NoticeID}}/html">HTML version</a></p>
<pre>{{.M.Text}}</pre>
</body></html>{{end}}
`))

// parisTime shows t in Paris time.
func parisTime(t time.Time) string {
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		t = t.In(loc)
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

func (s *Server) handleDevMailList(w http.ResponseWriter, r *http.Request) {
	ms, err := s.DevMail.List(200)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.devMailPage(w, r, "list", "Messages", ms)
}

func (s *Server) handleDevMailShow(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.devMailMessage(w, r); ok {
		s.devMailPage(w, r, "show", "M", m)
	}
}

func (s *Server) handleDevMailHTML(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.devMailMessage(w, r); ok {
		devMailHeaders(w, devMailHTMLCSP)
		_, _ = w.Write([]byte(m.HTML)) // made by notify's html/template
	}
}

// devMailMessage returns the message of the local outbox that the path's
// id names, or answers the error and returns false.
func (s *Server) devMailMessage(w http.ResponseWriter, r *http.Request) (*notify.Message, bool) {
	m, err := s.DevMail.Get(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return nil, false
	}
	return m, true
}

// devMailPage renders the page name of /dev/mail, with its style and,
// under key, data.
func (s *Server) devMailPage(w http.ResponseWriter, r *http.Request, name, key string, data any) {
	devMailHeaders(w, devMailCSP)
	if err := devMailPages.ExecuteTemplate(w, name, map[string]any{"CSS": template.CSS(devMailCSS), key: data}); err != nil {
		s.log().ErrorContext(r.Context(), "rendering /dev/mail", "err", err)
	}
}

// devMailHeaders sets the headers of an answer of /dev/mail: HTML under
// the policy csp, never stored.
func devMailHeaders(w http.ResponseWriter, csp string) {
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
}
