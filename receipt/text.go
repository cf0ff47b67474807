package receipt

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris, whatever the host has
	"unicode"

	"navette/i18n"
)

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("receipt: no Europe/Paris time zone: " + err.Error())
	}
	return loc
}()

// words are the texts of a rendering, one table per language; Text is
// their one renderer.
type words struct {
	colon                                                                                                                       string // between a label and its value
	actor, valid, label, deposit, reference, sender, recipients, files, file, by, forWhom, notice, notFetched, antivirus        string
	event, eventTime, journal, key, timeSource, serverClock, proves, doesNot, bytes, person, service, auth, level, to, accepted string
	eventAt, journalAt                                                                                                          string // formats: type and index; origin and size
	kinds                                                                                                                       map[string]string
	checks                                                                                                                      map[string]string // content-check outcomes of files
	methods, levels                                                                                                             map[string]string // sign-in methods and assurance levels, in words; as is when absent
	month                                                                                                                       [12]string
	at, zone, thousands                                                                                                         string
	whomShown, whomID                                                                                                           string
	partlyFetched, partly                                                                                                       string             // the label; its format: the party, the files fetched, those not
	byte1                                                                                                                       string             // "octet": the unit's singular
	one                                                                                                                         func(n int64) bool // whether n takes the singular

	// What a receipt proves, and what it does not: formats.
	inJournal, claimsMatch, fingerprints, downloaded, tsaBound, tsaTrusted                                        string
	clockOnly, clockExact, clockAhead, tsaUntrusted, redacted, keyUnchecked, labelUnproven, notRead, notDelivered string
	notSeen, tsaUnchecked, unclaimedWho                                                                           string
	// keyRetired follows the key that signed when the key list says it was
	// retired: the tree size then.
	keyRetired string
	// pdfPages follows the verdict of a receipt read from its PDF.
	pdfPages string
}

var fr = words{
	colon: " : ",
	actor: "Acteur (identifiant)", valid: "REÇU VALIDE", label: "Reçu %s (libellé attribué par le serveur)",
	deposit: "Dépôt", reference: "Référence", sender: "Expéditeur", recipients: "Destinataires", files: "Fichiers",
	file: "Fichier", by: "Par", forWhom: "Pour le compte de", notice: "Avis", notFetched: "Non retiré par", antivirus: "Antivirus",
	partlyFetched: "Retiré en partie par", partly: "%s — a téléchargé : %s ; n'a pas téléchargé : %s",
	event: "Événement", eventTime: "Date de l'événement", journal: "Journal", key: "Clé de signature", timeSource: "Horodatage",
	serverClock: "horloge du serveur navette (aucune autorité d'horodatage)", proves: "Ce que ce reçu prouve :", doesNot: "Ce qu'il ne prouve pas :",
	byte1: "octet", one: func(n int64) bool { return n == 0 || n == 1 },
	bytes: "octets", person: "personne", service: "boîte de service", auth: "authentifié par %s le %s", level: "niveau de garantie %s", to: "destinataire %s, Message-ID %s", accepted: "accepté le %s",
	eventAt: "%s, n° %d du journal", journalAt: "%s, état signé à %d événements",
	kinds: map[string]string{
		"deposited": "Dépôt de fichiers", "available": "Mise à disposition du dépôt", "notified": "Avis accepté par le serveur de messagerie",
		"opened": "Ouverture du dépôt", "downloaded": "Téléchargement complet d'un fichier", "unclaimed": "Dépôt que des destinataires n'avaient pas retiré en entier à son expiration",
		"revoked": "Retrait du dépôt par l'expéditeur", "extended": "Prolongation du dépôt par l'expéditeur", "purged": "Purge du dépôt : clé de chiffrement détruite",
	},
	checks: map[string]string{
		"clean": "aucun virus détecté par l'antivirus", "unscanned": "non analysé par un antivirus",
		"over_limit": "non analysé par l'antivirus : trop volumineux", "encrypted": "non analysé par l'antivirus : chiffré",
		"scan_error": "non analysé : l'analyse antivirus a échoué",
	},
	methods:   i18n.SignInMethodsFR,
	levels:    i18n.AssuranceLevelsFR,
	month:     [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	at:        "à",
	zone:      "heure de Paris",
	thousands: " ",
	whomShown: "la personne indiquée, authentifiée comme telle", whomID: "l'utilisateur d'identifiant « %s »",

	inJournal:     "Cet événement est inscrit au journal navette « %s » à la position %d, dans l'état du journal à %d événements signé par la clé %s. Ni l'événement ni sa place ne peuvent être modifiés sans que cette signature cesse de correspondre.",
	claimsMatch:   "Les détails ci-dessus (parties, référence, fichiers) sont exactement ceux que le journal a engagés, par leur empreinte SHA-256, au moment de l'événement.",
	fingerprints:  "Les empreintes SHA-256 identifient le contenu des fichiers : quiconque détient un fichier peut recalculer son empreinte et la comparer.",
	downloaded:    "navette a envoyé la totalité des octets du fichier à %s (un transfert partiel ou interrompu n'est jamais enregistré comme un téléchargement).",
	tsaBound:      "L'autorité d'horodatage « %s » atteste (RFC 3161) que cet état du journal existait au plus tard le %s ; l'événement, qui y figure, lui est donc antérieur.",
	tsaTrusted:    "Le certificat de l'autorité a été vérifié jusqu'à une racine de confiance fournie au vérificateur.",
	clockOnly:     "La date de l'événement provient de l'horloge du serveur navette : aucune autorité d'horodatage indépendante ne l'atteste.",
	clockExact:    "La date exacte de l'événement provient de l'horloge du serveur ; l'horodatage n'en garantit que la borne supérieure.",
	clockAhead:    "Attention : le serveur a daté l'événement du %s, après l'horodatage : son horloge avançait.",
	tsaUntrusted:  "Un jeton d'horodatage est joint, signé par un certificat au nom de « %s » et daté du %s, mais ce certificat n'a pas été vérifié jusqu'à une racine de confiance : n'importe qui peut produire un tel jeton, qui ne prouve pas la date de l'événement (fournissez la racine de l'autorité avec --tsa-ca).",
	tsaUnchecked:  "non vérifié",
	redacted:      "Les noms, la référence et les noms de fichiers ne sont pas divulgués dans ce reçu : le journal n'en contient que l'empreinte, et ce reçu ne permet pas de les connaître.",
	notRead:       "Que le destinataire a ouvert ou lu le fichier : seulement que le serveur le lui a envoyé en entier.",
	notDelivered:  "Que l'avis est parvenu dans la boîte du destinataire ou a été lu : seulement que le serveur de messagerie l'a accepté pour le remettre.",
	notSeen:       "Qu'un destinataire a vu ou retiré le dépôt.",
	unclaimedWho:  "Quels destinataires n'avaient pas retiré quels fichiers : ce reçu n'en nomme aucun, et chaque destinataire reçoit le même.",
	keyUnchecked:  "Que la clé %s est bien celle du service navette : comparez-la à la liste des clés publiée par le service (/api/v1/journal/keys) ou obtenue par un autre canal.",
	labelUnproven: "Le libellé et la date d'émission du reçu sont ceux du serveur ; aucune preuve ne les couvre.",
	keyRetired:    "clé retirée depuis, à la taille d'arbre %d : elle ne signe aucun arbre plus grand",
	pdfPages:      "Reçu joint au PDF : le texte des pages du PDF n'est couvert par aucune preuve ; ce qui suit est ce que le reçu prouve, comparez-y les pages.",
}

var en = words{
	colon: ": ",
	actor: "Actor (user id)", valid: "VALID RECEIPT", label: "Receipt %s (a label given by the server)",
	deposit: "Deposit", reference: "Reference", sender: "Sender", recipients: "Recipients", files: "Files",
	file: "File", by: "By", forWhom: "On behalf of", notice: "Notice", notFetched: "Not fetched by", antivirus: "Antivirus",
	partlyFetched: "Fetched in part by", partly: "%s — downloaded: %s; did not download: %s",
	event: "Event", eventTime: "Time of the event", journal: "Journal", key: "Signing key", timeSource: "Time stamp",
	serverClock: "the navette server's clock (no time-stamping authority)", proves: "What this receipt proves:", doesNot: "What it does not prove:",
	byte1: "byte", one: func(n int64) bool { return n == 1 },
	bytes: "bytes", person: "person", service: "service mailbox", auth: "signed in by %s at %s", level: "assurance level %s", to: "to %s, Message-ID %s", accepted: "accepted at %s",
	eventAt: "%s, number %d in the journal", journalAt: "%s, signed state of %d events",
	kinds: map[string]string{
		"deposited": "Files deposited", "available": "Deposit made available", "notified": "Notice accepted by the mail server",
		"opened": "Deposit opened", "downloaded": "File downloaded in full", "unclaimed": "Deposit some recipients had not fetched in full by its expiry",
		"revoked": "Deposit withdrawn by its sender", "extended": "Deposit extended by its sender", "purged": "Deposit purged: encryption key destroyed",
	},
	checks: map[string]string{
		"clean": "no virus found by the antivirus", "unscanned": "not scanned by an antivirus",
		"over_limit": "not scanned by the antivirus: too large", "encrypted": "not scanned by the antivirus: encrypted",
		"scan_error": "not scanned: the antivirus scan failed",
	},
	month:     [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	at:        "at",
	zone:      "Paris time",
	thousands: ",",
	whomShown: "the person shown, signed in as such", whomID: "the user whose id is %q",

	inJournal:     "This event is recorded in the navette journal %q at position %d, in the state of the journal at %d events signed by the key %s. Neither the event nor its place can be changed without that signature ceasing to match.",
	claimsMatch:   "The details above (parties, reference, files) are exactly those the journal committed to, by their SHA-256, when the event was recorded.",
	fingerprints:  "The SHA-256 fingerprints identify the files' content: whoever holds a file can compute its fingerprint and compare.",
	downloaded:    "navette sent every byte of the file to %s (a partial or interrupted transfer is never recorded as a download).",
	tsaBound:      "The time-stamping authority %q certifies (RFC 3161) that this state of the journal existed no later than %s; the event, which it holds, is therefore earlier.",
	tsaTrusted:    "The authority's certificate was checked up to a trusted root given to the verifier.",
	clockOnly:     "The time of the event comes from the navette server's clock: no independent time-stamping authority vouches for it.",
	clockExact:    "The exact time of the event comes from the server's clock; the time stamp only bounds it from above.",
	clockAhead:    "Beware: the server dated the event %s, after the time stamp: its clock was ahead.",
	tsaUntrusted:  "A time-stamp token is attached, signed by a certificate in the name of %q and dated %s, but that certificate was not checked against a trusted root: anyone can make such a token, which proves no time of the event (give the authority's root with --tsa-ca).",
	tsaUnchecked:  "not verified",
	redacted:      "The names, the reference and the file names are not disclosed in this receipt: the journal holds only their fingerprint, and this receipt does not reveal them.",
	notRead:       "That the recipient opened or read the file: only that the server sent all of it.",
	notDelivered:  "That the notice reached the mailbox or was read: only that the mail server accepted it for delivery.",
	notSeen:       "That a recipient has seen or fetched the deposit.",
	unclaimedWho:  "Which recipients had not fetched which files: this receipt names none, and every recipient gets the same one.",
	keyUnchecked:  "That the key %s is the navette service's: compare it with the list of keys the service publishes (/api/v1/journal/keys) or obtained another way.",
	labelUnproven: "The receipt's label and issue date are the server's; no proof covers them.",
	keyRetired:    "a key retired since, at tree size %d: it signs no larger tree",
	pdfPages:      "Receipt attached to the PDF: the text of the PDF's pages is covered by no proof; what follows is what the receipt proves, compare the pages with it.",
}

// lang returns the table of lang: English for "en", French otherwise.
func lang(l string) *words {
	if l == "en" {
		return &en
	}
	return &fr
}

// CheckText says in plain words, French (the default) or English (lang
// "en"), what a file's content-check outcome in a claims document means:
// "non analysé par un antivirus" for "unscanned". An unknown outcome is
// returned as it is.
func CheckText(check, language string) string { return lang(language).check(check) }

func (w *words) check(c string) string {
	if s, ok := w.checks[c]; ok {
		return s
	}
	return c
}

// Text renders the result for a person, in plain French (the default) or
// English (lang "en"): what happened, to what and whom, when, and precisely
// what the receipt proves and what it does not.
func (r *Result) Text(language string) string {
	t := &textWriter{w: lang(language)}
	r.writeHeading(t)
	if r.Claims != nil {
		r.Claims.writeWhat(t)
		r.Claims.writeWho(t)
	} else {
		r.Event.writeBare(t)
	}
	t.b.WriteByte('\n')
	r.writeJournal(t)
	t.b.WriteByte('\n')
	r.writeProof(t)
	return t.b.String()
}

// textWriter builds a rendering, one line at a time.
type textWriter struct {
	w *words
	b strings.Builder
}

// line writes label and the formatted value, without control characters.
func (t *textWriter) line(label, format string, args ...any) {
	if label != "" {
		t.b.WriteString(label)
		t.b.WriteString(t.w.colon)
	}
	t.b.WriteString(shown(fmt.Sprintf(format, args...)))
	t.b.WriteByte('\n')
}

// writeHeading writes the verdict, the kind of event, the receipt's label
// and the deposit.
func (r *Result) writeHeading(t *textWriter) {
	w := t.w
	t.line("", "%s — %s", w.valid, w.kinds[r.Kind])
	if r.PDF {
		t.line("", "%s", w.pdfPages)
	}
	if r.ReceiptID != "" {
		t.line("", w.label, r.ReceiptID)
	}
	t.b.WriteByte('\n')
	if r.Event.DepositID != "" {
		t.line(w.deposit, "%s", r.Event.DepositID)
	}
}

// writeWhat writes what the claims say the event was about: the deposit's
// reference, its parties and its files.
func (c *Claims) writeWhat(t *textWriter) {
	w := t.w
	if c.Deposit != nil && c.Deposit.Reference != "" {
		t.line(w.reference, "%s", c.Deposit.Reference)
	}
	if c.Sender != nil {
		t.line(w.sender, "%s", party(w, c.Sender))
	}
	if len(c.Recipients) > 0 {
		t.line(w.recipients, "%s", parties(w, c.Recipients))
	}
	if len(c.Files) > 0 {
		t.line(w.files, "")
		for i := range c.Files {
			t.line("", "  - %s", file(w, &c.Files[i]))
		}
	}
	if c.File != nil {
		t.line(w.file, "%s", file(w, c.File))
	}
}

// writeWho writes who acted and for whom, the notice, who did not fetch
// the deposit, and the antivirus.
func (c *Claims) writeWho(t *textWriter) {
	w := t.w
	if c.By != nil {
		t.line(w.by, "%s", actor(w, c.By))
	}
	if c.For != nil {
		t.line(w.forWhom, "%s", party(w, c.For))
	}
	if c.Notice != nil {
		t.line(w.notice, "%s", notice(w, c.Notice))
	}
	if len(c.NotFetchedBy) > 0 {
		t.line(w.notFetched, "%s", parties(w, c.NotFetchedBy))
	}
	for i := range c.PartlyFetchedBy {
		p := &c.PartlyFetchedBy[i]
		t.line(w.partlyFetched, w.partly, party(w, &p.Party), c.fileNames(p.Fetched), c.fileNames(p.NotFetched))
	}
	if c.Antivirus != "" {
		t.line(w.antivirus, "%s", c.Antivirus)
	}
}

// writeBare writes the file and the actor of an event without claims.
func (e *Event) writeBare(t *textWriter) {
	if e.FileID != "" {
		t.line(t.w.file, "%s", file(t.w, &File{ID: e.FileID, Size: e.Size, SHA256: e.SHA256}))
	}
	if e.ActorID != "" {
		t.line(t.w.actor, "%s", e.ActorID)
	}
}

// writeJournal writes the event's place in the journal, its time, the key
// and the time source.
func (r *Result) writeJournal(t *textWriter) {
	w := t.w
	t.line(w.event, w.eventAt, r.Event.Type, r.Event.Index)
	t.line(w.eventTime, "%s", date(w, r.Time))
	t.line(w.journal, w.journalAt, r.Origin, r.TreeSize)
	if n, retired := r.Key.Retired(); retired {
		t.line(w.key, "%s (%s)", r.Key, fmt.Sprintf(w.keyRetired, n))
	} else {
		t.line(w.key, "%s", r.Key)
	}
	switch {
	case r.TSA != nil && r.TSA.Trusted:
		t.line(w.timeSource, "%s — %s", r.TSA.Subject, date(w, r.TSA.Time))
	case r.TSA != nil:
		t.line(w.timeSource, "%s — %s (%s)", r.TSA.Subject, date(w, r.TSA.Time), w.tsaUnchecked)
	default:
		t.line(w.timeSource, "%s", w.serverClock)
	}
}

// writeProof writes what the receipt proves and what it does not.
func (r *Result) writeProof(t *textWriter) {
	w := t.w
	t.line("", "%s", w.proves)
	for _, s := range r.proves(w) {
		t.line("", "  • %s", s)
	}
	t.line("", "%s", w.doesNot)
	for _, s := range r.doesNotProve(w) {
		t.line("", "  • %s", s)
	}
}

// actor renders who acted and, when told, how they signed in.
func actor(w *words, a *Actor) string {
	p := party(w, &Party{ID: a.ID, Name: a.Name, Email: a.Email})
	if a.Auth == nil {
		return p
	}
	p += " (" + fmt.Sprintf(w.auth, method(w, a.Auth.Method), date(w, a.Auth.At.Time))
	if a.Auth.Level != "" {
		p += ", " + fmt.Sprintf(w.level, cmp.Or(w.levels[a.Auth.Level], a.Auth.Level))
	}
	return p + ")"
}

// method names the sign-in method m in w's words: an identity provider's
// class ("oidc:ACR") after the provider's name.
func method(w *words, m string) string {
	if acr, ok := strings.CutPrefix(m, "oidc:"); ok && w.methods["oidc"] != "" {
		return w.methods["oidc"] + ", classe " + acr
	}
	return cmp.Or(w.methods[m], m)
}

// notice renders an e-mail notice and when the mail server accepted it.
func notice(w *words, n *Notice) string {
	s := fmt.Sprintf(w.to, n.To, n.MessageID)
	if !n.AcceptedAt.IsZero() {
		s += ", " + fmt.Sprintf(w.accepted, date(w, n.AcceptedAt.Time))
	}
	return s
}

// fileNames renders the files of ids by their names in the claims (their
// id when the claims do not name them), one after the other.
func (c *Claims) fileNames(ids []string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id
		for j := range c.Files {
			if c.Files[j].ID == id && c.Files[j].Name != "" {
				s[i] = c.Files[j].Name
			}
		}
	}
	return strings.Join(s, ", ")
}

// parties renders people or mailboxes, one after the other.
func parties(w *words, ps []Party) string {
	s := make([]string, len(ps))
	for i := range ps {
		s[i] = party(w, &ps[i])
	}
	return strings.Join(s, " ; ")
}

func (r *Result) proves(w *words) []string {
	s := []string{fmt.Sprintf(w.inJournal, r.Origin, r.Event.Index, r.TreeSize, fmt.Sprintf("%s+%08x", r.Key.Name(), r.Key.KeyHash()))}
	if r.Claims != nil {
		s = append(s, w.claimsMatch)
	}
	if r.provesFingerprints() {
		s = append(s, w.fingerprints)
	}
	if r.Kind == "downloaded" {
		s = append(s, fmt.Sprintf(w.downloaded, r.whom(w)))
	}
	if r.TSA != nil && r.TSA.Trusted {
		s = append(s, fmt.Sprintf(w.tsaBound, r.TSA.Subject, date(w, r.TSA.Time)), w.tsaTrusted)
	}
	return s
}

// provesFingerprints reports whether the result proves fingerprints of
// files: the claims name files, or the event has a SHA-256.
func (r *Result) provesFingerprints() bool {
	return r.Claims != nil && (len(r.Claims.Files) > 0 || r.Claims.File != nil) || len(r.Event.SHA256) != 0
}

func (r *Result) doesNotProve(w *words) []string {
	s := r.timeLimits(w)
	if r.Redacted {
		s = append(s, w.redacted)
	}
	if r.Redacted && r.Kind == "unclaimed" {
		s = append(s, w.unclaimedWho)
	}
	switch r.Kind {
	case "downloaded":
		s = append(s, w.notRead)
	case "notified":
		s = append(s, w.notDelivered)
	case "available", "deposited":
		s = append(s, w.notSeen)
	}
	return append(s, fmt.Sprintf(w.keyUnchecked, r.Key), w.labelUnproven)
}

// timeLimits says what the result's time does not prove: only the
// server's clock dates the event without a token, or with one whose
// authority was not checked against a trusted root (anyone can make one);
// with a trusted one, the exact time is the server's, and it may be ahead.
func (r *Result) timeLimits(w *words) []string {
	switch {
	case r.TSA == nil:
		return []string{w.clockOnly}
	case !r.TSA.Trusted:
		return []string{w.clockOnly, fmt.Sprintf(w.tsaUntrusted, r.TSA.Subject, date(w, r.TSA.Time))}
	}
	s := []string{w.clockExact}
	if r.clockAhead() {
		s = append(s, fmt.Sprintf(w.clockAhead, date(w, r.Time)))
	}
	return s
}

// shown returns s with each character that could drive the reader's
// terminal, or make the text read otherwise than its characters are, as
// <U+XXXX>: control characters, format characters (bidirectional controls
// that would make "fdp.exe" read "exe.pdf", invisible ones that make two
// names look alike), line and paragraph separators, and letters that pass
// for Latin ones in a word of Latin letters (i18n.LookAlikes).
func shown(s string) string { return i18n.Codes(i18n.LookAlikes(s), hidden) }

// hidden reports whether r is a character shown appears as its code.
func hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// whom names who acted: the person shown, or the user id alone.
func (r *Result) whom(w *words) string {
	if r.Claims != nil && r.Claims.By != nil {
		return w.whomShown
	}
	return fmt.Sprintf(w.whomID, r.Event.ActorID)
}

// clockAhead reports whether the server dated the event after the TSA saw
// the checkpoint that holds it (beyond the token's accuracy and a second).
func (r *Result) clockAhead() bool {
	return r.TSA != nil && r.Time.After(r.TSA.Time.Add(r.TSA.Accuracy+time.Second))
}

// party renders a person or mailbox.
func party(w *words, p *Party) string {
	out := partyName(p)
	var extra []string
	if p.Org != "" {
		extra = append(extra, p.Org)
	}
	switch p.Kind {
	case "person":
		extra = append(extra, w.person)
	case "service":
		extra = append(extra, w.service)
	}
	if len(extra) > 0 {
		out += " (" + strings.Join(extra, ", ") + ")"
	}
	return out
}

// partyName renders the name and address of a person or mailbox, or its
// id when it has neither.
func partyName(p *Party) string {
	var s []string
	if p.Name != "" {
		s = append(s, p.Name)
	}
	if p.Email != "" {
		s = append(s, "<"+p.Email+">")
	}
	if len(s) == 0 {
		s = append(s, p.ID)
	}
	return strings.Join(s, " ")
}

// file renders a file: name, size, SHA-256 and, when its claims tell,
// its content check.
func file(w *words, f *File) string {
	name := f.Name
	if name == "" {
		name = f.ID
	}
	unit := w.bytes
	if w.one(f.Size) {
		unit = w.byte1
	}
	s := fmt.Sprintf("%s — %s %s", name, group(f.Size, w.thousands), unit)
	if len(f.SHA256) != 0 {
		s += fmt.Sprintf(" — SHA-256 %x", []byte(f.SHA256))
	}
	if f.Check != "" {
		s += " — " + w.check(f.Check)
	}
	return s
}

// group writes n with its digits in groups of three.
func group(n int64, sep string) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// date renders a time in Paris, to the second, and in UTC, to the
// microsecond.
func date(w *words, t time.Time) string {
	p := t.In(paris)
	return fmt.Sprintf("%d %s %d %s %s (%s) — %s UTC", p.Day(), w.month[p.Month()-1], p.Year(), w.at, p.Format("15:04:05"), w.zone, t.UTC().Format("2006-01-02 15:04:05.000000"))
}
