package web

import (
	"cmp"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"navette"
	"navette/deposit"
)

// pageSize is how many deposits a list page shows.
const pageSize = 50

// searchScan bounds how many deposits one search request reads: names and
// references are sealed, so a search opens them one by one.
const searchScan = 2000

// listedDeposit is what a list of deposits (a box, a case's page) shows
// of each.
type listedDeposit struct {
	ID        string
	Reference string
	Sender    string
	Files     int
	Size      int64
	Created   time.Time
	Expires   time.Time
	State     navette.DepositState
	Ended     bool
}

// listed returns what a list shows of v at now: its files are those that
// finished uploading.
func listed(v *deposit.View, now time.Time) listedDeposit {
	l := listedDeposit{ID: v.ID, Reference: v.Reference, Created: v.CreatedAt, Expires: v.ExpiresAt, State: v.State, Ended: deposit.Expired(v.DepositRecord, now)}
	if v.Sender != nil {
		l.Sender = v.Sender.Name
	}
	for _, f := range v.Files {
		if !f.PurgedUnfinished() {
			l.Files++
			l.Size += f.Size
		}
	}
	return l
}

// row is one deposit of a list.
type row struct {
	listedDeposit
	Recipients []string
	Via        string // the service mailbox it reached the user through
	New        bool   // inbox: not yet downloaded by the user (or their service)
	Pending    int    // sent: recipients who have not downloaded
	// CaseID is the deposit's case; GroupStart marks the first row of a
	// case when the list is grouped by case.
	CaseID     string
	GroupStart bool
}

// listData is what a list page shows.
type listData struct {
	Box     string
	Query   string
	Rows    []row
	Next    string
	First   string
	Scanned int
	// Grouped lists the rows case by case (?group=case).
	Grouped bool
	// Drafts counts the user's drafts, on the sent page.
	Drafts int
}

func (h *Handler) inbox(w http.ResponseWriter, r *http.Request) { h.list(w, r, navette.BoxInbox) }
func (h *Handler) sent(w http.ResponseWriter, r *http.Request)  { h.list(w, r, navette.BoxSent) }

func (h *Handler) list(w http.ResponseWriter, r *http.Request, box navette.Box) {
	u := navette.UserFromContext(r.Context())
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	before := r.URL.Query().Get("before")
	title, nav := "Dépôts reçus", "inbox"
	if box == navette.BoxSent {
		title, nav = "Dépôts envoyés", "sent"
	}
	p := h.newPage(w, r, title, nav)
	d := &listData{Box: string(box), Query: q}
	var services map[string]bool
	if box == navette.BoxInbox {
		services = h.services(r, u)
	} else {
		d.Drafts = h.draftCount(r, u)
	}
	var views []*deposit.View
	var next string
	var err error
	if words := navette.SearchWords(q); len(words) == 0 {
		views, next, err = h.Deposits.List(r.Context(), u, box, before, pageSize)
	} else {
		views, next, err = h.search(r, u, box, before, words, d)
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	now := h.now()
	for _, v := range views {
		rw := h.row(v, u, services, now)
		rw.CaseID = v.CaseID
		d.Rows = append(d.Rows, rw)
	}
	if r.URL.Query().Get("group") == "case" {
		d.Grouped = true
		d.Rows = groupByCase(d.Rows)
	}
	d.links(box, q, before, next)
	p.Data = d
	h.render(w, r, http.StatusOK, "list", p)
}

// search returns a page of the deposits of u's box from before whose words
// start with words, and the cursor of the next one, scanning at most
// searchScan deposits; it counts them in d.Scanned when it stopped there.
func (h *Handler) search(r *http.Request, u *navette.User, box navette.Box, before string, words []string, d *listData) ([]*deposit.View, string, error) {
	var views []*deposit.View
	cursor := before
	for {
		batch, nx, err := h.Deposits.List(r.Context(), u, box, cursor, 200)
		if err != nil {
			return nil, "", err
		}
		d.Scanned += len(batch)
		for _, v := range batch {
			if matches(v, words) {
				views = append(views, v)
			}
		}
		cursor = nx
		if nx == "" || len(views) >= pageSize || d.Scanned >= searchScan {
			break
		}
	}
	if len(views) > pageSize {
		views = views[:pageSize]
		last := views[pageSize-1]
		cursor = strconv.FormatInt(last.CreatedAt.UnixMicro(), 10) + "." + last.ID // deposit's cursor format
	}
	if cursor == "" || d.Scanned < searchScan {
		d.Scanned = 0
	}
	return views, cursor, nil
}

// links sets the list's links to its next page, from the cursor next, and
// back to its first one when it is not that one.
func (d *listData) links(box navette.Box, q, before, next string) {
	if next != "" {
		d.Next = "/" + string(box) + "?" + url.Values{"before": {next}, "q": {q}}.Encode()
		if q == "" {
			d.Next = "/" + string(box) + "?" + url.Values{"before": {next}}.Encode()
		}
	}
	if before != "" {
		d.First = "/" + string(box)
		if q != "" {
			d.First += "?" + url.Values{"q": {q}}.Encode()
		}
	}
	if d.Grouped && d.Next != "" {
		d.Next += "&group=case"
	}
}

// services returns the ids of the service mailboxes u is a member of.
func (h *Handler) services(r *http.Request, u *navette.User) map[string]bool {
	out := map[string]bool{}
	if h.Accounts == nil {
		return out
	}
	ms, err := h.Accounts.Memberships(r.Context(), u)
	if err != nil {
		h.log().WarnContext(r.Context(), "web: memberships", "err", err)
		return out
	}
	for _, m := range ms {
		out[m.ServiceID] = true
	}
	return out
}

// matches reports whether each word starts a word of the deposit's
// reference, sender, recipients or file names.
func matches(v *deposit.View, words []string) bool {
	var hay []string
	hay = append(hay, navette.SearchWords(v.Reference)...)
	if v.Sender != nil {
		hay = append(hay, navette.SearchWords(v.Sender.Name+" "+v.Sender.Email)...)
	}
	for _, rc := range v.Recipients {
		hay = append(hay, navette.SearchWords(rc.Name+" "+rc.Email)...)
	}
	for _, f := range v.Files {
		hay = append(hay, navette.SearchWords(f.Name)...)
	}
	for _, w := range words {
		found := false
		for _, x := range hay {
			if strings.HasPrefix(x, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (h *Handler) row(v *deposit.View, u *navette.User, services map[string]bool, now time.Time) row {
	rw := row{listedDeposit: listed(v, now)}
	mine := false
	for _, rc := range v.Recipients {
		rw.Recipients = append(rw.Recipients, cmp.Or(rc.Name, rc.Email))
		if rc.FirstDownloadAt.IsZero() {
			rw.Pending++
		}
		if rc.UserID == u.ID {
			mine = true
			rw.New = rc.FirstDownloadAt.IsZero()
		}
	}
	if !mine {
		for _, rc := range v.Recipients {
			if services[rc.UserID] {
				rw.Via = rc.Name
				rw.New = rc.FirstDownloadAt.IsZero()
				break
			}
		}
	}
	if v.Sending || v.SenderID == u.ID {
		rw.New = false
	}
	if rw.Ended {
		rw.New = false
	}
	return rw
}

// fileRow is a file of the deposit page.
type fileRow struct {
	ID        string
	Name      string
	Size      int64
	Hash      string
	State     navette.FileState
	Available bool
	// Check and CheckDetail are what the content checks found; Unscanned
	// marks a file offered without a (full) antivirus scan.
	Check       navette.FileCheck
	CheckDetail string
	Unscanned   bool
}

// recipientRow is a recipient of the deposit page, with what happened.
type recipientRow struct {
	Name            string
	Email           string
	Service         bool
	Disabled        bool
	NotifiedAt      time.Time
	NoticeState     string
	FirstOpenedAt   time.Time
	OpenedBy        string // who opened, for a service mailbox
	FirstDownloadAt time.Time
	By              string // who downloaded, for a service mailbox
	Files           int    // distinct files downloaded
	AtLimit         int    // files whose download limit the recipient reached
}

// depositData is what the deposit page shows.
type depositData struct {
	// Unscanned tells that files are offered without a (full) antivirus
	// scan: the page warns of it once. MarkUnscanned tells that other
	// files are listed too: the rows of the unscanned ones are marked.
	Unscanned     bool
	MarkUnscanned bool
	ID            string
	Reference     string
	Message       string
	State         navette.DepositState
	Sender        *navette.User
	FromSpace     *navette.User // the service mailbox it was sent on behalf of; nil if in person
	CreatedAt     time.Time
	ExpiresAt     time.Time
	RevokedAt     time.Time
	PurgedAt      time.Time // when its files were deleted for good; zero until the purge
	RetentionDays int
	MaxDownloads  int // complete downloads of each file per recipient; 0: no cap
	Files         []fileRow
	FileCount     int
	TotalSize     int64
	Recipients    []recipientRow
	IsSender      bool
	// Ended is set once the deposit was withdrawn or expired: a recipient
	// who did not open or download it never will.
	Ended       bool
	CanDownload bool
	CanRevoke   bool
	Proofs      *proofs
	// CaseID is the deposit's case; CanReply and CanExtend offer a reply
	// (to a recipient who may deposit) and an extension (to the sender).
	CaseID    string
	CanReply  bool
	CanExtend bool
	// ReplyFrom is whom a reply may be sent as, with its default: the
	// reply form's "Répondre au nom de" select, when it offers mailboxes.
	ReplyFrom *deposit.ReplyChoice
	// CanForward offers the forward (deposit.Forward) to an agent who
	// received the deposit while it is available.
	CanForward bool
	// Forwards are the deposit's forwards, for those who see them
	// (deposit.View.Forwards).
	Forwards []deposit.ForwardView
}

// view returns the deposit for the page's user, or renders the error page:
// a recipient of a deposit that ended learns whether it expired or was
// withdrawn.
func (h *Handler) view(w http.ResponseWriter, r *http.Request) (*deposit.View, bool) {
	u := navette.UserFromContext(r.Context())
	id := r.PathValue("id")
	v, err := h.Deposits.Get(r.Context(), u, id)
	if err != nil {
		var pr *proofs
		if navette.IsCode(err, navette.EGONE) {
			pr = h.depositProofs(r, u, id, false, h.lang(nil, r))
		}
		h.errorPage(w, r, err, pr)
		return nil, false
	}
	return v, true
}

func (h *Handler) depositPage(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	d := newDepositData(v, u, h.now())
	lang := h.lang(nil, r)
	h.addRecipients(r, u, v, d, lang)
	d.Forwards = v.Forwards
	d.Proofs = h.depositProofs(r, u, v.ID, d.IsSender, lang)
	if d.CanReply {
		// No reply offered that is sure to be refused (a partner's to
		// an agent who sent in person and is in no mailbox); one the
		// store could not tell is offered, Reply says.
		err := h.Deposits.ReplyRefused(r.Context(), u, v)
		d.CanReply = !navette.IsCode(err, navette.EFORBIDDEN) && !navette.IsCode(err, navette.EGONE)
	}
	if d.CanReply {
		var err error
		if d.ReplyFrom, err = h.Deposits.ReplyChoices(r.Context(), u, v); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	p := h.newPage(w, r, "Dépôt", "")
	if d.IsSender {
		p.Nav = "sent"
	} else {
		p.Nav = "inbox"
	}
	if v.Reference != "" {
		p.Title = v.Reference
	}
	p.Flash = sentFlash(p.Lang, r.URL.Query().Get("done"), v.State)
	p.Data = d
	h.render(w, r, http.StatusOK, "deposit", p)
}

// newDepositData returns the deposit page's data on v and its files for u
// at now, its recipients aside.
func newDepositData(v *deposit.View, u *navette.User, now time.Time) *depositData {
	ended := deposit.Expired(v.DepositRecord, now)
	d := &depositData{
		ID: v.ID, Reference: v.Reference, Message: v.Message, State: v.State, Sender: v.Sender,
		CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt, RevokedAt: v.RevokedAt, PurgedAt: v.PurgedAt, RetentionDays: v.RetentionDays,
		MaxDownloads: v.MaxDownloads,
		IsSender:     v.Sending || v.SenderID == u.ID,
		FromSpace:    v.FromSpace,
	}
	d.Ended = ended
	d.CanDownload = !ended && v.State == navette.DepositAvailable
	d.CanRevoke = d.IsSender && !ended && (v.State == navette.DepositAvailable || v.State == navette.DepositDraft || v.State == navette.DepositChecking)
	d.CaseID = v.CaseID
	d.CanReply = !d.IsSender && deposit.CanDeposit(u.Role) && !v.Key.IsZero()
	d.CanExtend = d.IsSender && !ended && v.State == navette.DepositAvailable
	d.CanForward = canForward(u, v, ended)
	d.addFiles(v.Files)
	return d
}

// addFiles adds the rows of files to d, but for those purged before they
// were complete.
func (d *depositData) addFiles(files []deposit.FileView) {
	for _, f := range files {
		if f.PurgedUnfinished() {
			continue
		}
		row := fileRow{ID: f.ID, Name: f.Name, Size: f.Size, Hash: hex.EncodeToString(f.SHA256), State: f.State, Available: f.State == navette.FileAvailable,
			Check: f.Check, CheckDetail: f.CheckDetail}
		row.Unscanned = (f.State == navette.FileStored || f.State == navette.FileAvailable) && f.Check.Marked()
		d.Unscanned = d.Unscanned || row.Unscanned
		d.Files = append(d.Files, row)
		d.FileCount++
		d.TotalSize += f.Size
	}
	d.MarkUnscanned = d.Unscanned && slices.ContainsFunc(d.Files, func(r fileRow) bool { return !r.Unscanned })
}

// addRecipients adds the recipients of v to d, with, for its sender, what
// each was sent and opened.
func (h *Handler) addRecipients(r *http.Request, u *navette.User, v *deposit.View, d *depositData, lang string) {
	var tracked map[string]deposit.Tracking
	if d.IsSender {
		var err error
		if tracked, err = h.Deposits.Track(r.Context(), u, v.ID); err != nil {
			h.log().Warn("web: following a deposit", "deposit", v.ID, "err", err)
		}
	}
	for _, rc := range v.Recipients {
		t := tracked[rc.UserID]
		rr := recipientRow{Name: rc.Name, Email: rc.Email, Service: rc.Role == navette.RoleService, Disabled: rc.Disabled,
			FirstOpenedAt: rc.FirstOpenedAt, FirstDownloadAt: rc.FirstDownloadAt,
			NotifiedAt: t.NotifiedAt, OpenedBy: t.OpenedBy, By: t.DownloadedBy, Files: t.Files, AtLimit: t.AtLimit}
		switch t.NoticeState {
		case navette.NoticeDead:
			rr.NoticeState = tr(lang, "échec de l’envoi")
		case navette.NoticePending:
			rr.NoticeState = tr(lang, "en cours d’envoi")
		}
		d.Recipients = append(d.Recipients, rr)
	}
}

// depositFlashes are the deposit page's notes after an action.
var depositFlashes = flashes{
	"sent":      text("Le dépôt est envoyé : ses destinataires sont avisés par courriel."),
	"revoked":   text("Le dépôt est retiré : ceux de ses destinataires qui en avaient été avisés le sont aussi du retrait."),
	"extended":  text("Le dépôt est prolongé : ses destinataires sont avisés de la nouvelle échéance."),
	"forwarded": text("Le dépôt est transmis : ses destinataires sont avisés par courriel."),
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		http.Redirect(w, r, DepositPath(id), http.StatusSeeOther)
		return
	}
	if err := h.Deposits.RevokeWithReason(r.Context(), u, id, r.PostFormValue("reason")); err != nil {
		h.Error(w, r, err)
		return
	}
	http.Redirect(w, r, DepositPath(id)+"?done=revoked", http.StatusSeeOther)
}

// newData is what the new-deposit page needs.
type newData struct {
	Limits    navette.Limits
	Retention int
	Messages  map[string]string
	Drafts    int // the user's drafts, to resume or discard
	// Mailboxes are the service mailboxes the user may send on behalf of.
	Mailboxes []*navette.User
}

func (h *Handler) newDeposit(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, "Nouveau dépôt", "new")
	lim, err := h.limits(r.Context())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	days := lim.MaxRetentionDays
	if h.Deposits != nil {
		days = h.Deposits.DefaultRetention(lim)
	}
	p.Scripts = []string{"vendor/tus/tus.min.js", "js/new.js"}
	nd := &newData{Limits: lim, Retention: days, Messages: scriptMessages(p.Lang), Drafts: h.draftCount(r, navette.UserFromContext(r.Context()))}
	if h.Deposits != nil {
		if nd.Mailboxes, err = h.Deposits.SendingMailboxes(r.Context(), p.User); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	p.Data = nd
	h.render(w, r, http.StatusOK, "new", p)
}

// maxProblemDetail bounds the detail problemText translates.
const maxProblemDetail = 2000

// problemText answers the upload script, which met a refusal of the API
// (?code= and ?detail= of its problem), with that refusal said in the
// page's language as a server-rendered page says it ({"detail": …}): the
// API speaks English, the web translates its messages, in one place.
func (h *Handler) problemText(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	detail := q.Get("detail")
	if len(detail) > maxProblemDetail {
		detail = detail[:maxProblemDetail]
	}
	err := &navette.Error{Code: q.Get("code"), Message: detail}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"detail": h.message(h.lang(nil, r), err)})
}
