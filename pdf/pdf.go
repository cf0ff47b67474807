// Package pdf renders a navette receipt as a French "attestation" in PDF,
// through codeberg.org/go-pdf/fpdf: the human-readable face of a receipt
// (parties, case reference, files and their SHA-256, events with their
// dates in Paris and UTC time, the signed checkpoint, the source of time,
// and how to verify), with the receipt's JSON attached as receipt.json so
// that the PDF alone can be checked with navette verify. The fonts (Go
// fonts, from golang.org/x/image) are embedded in the binary and in the PDF;
// nothing is fetched.
//
// The package knows nothing of receipts: the caller fills an Attestation
// with what the page shows.
package pdf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris, whatever the host has
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"

	"navette"
	"navette/i18n"
)

// AttachmentName is the name of the receipt's JSON attached to the PDF.
const AttachmentName = "receipt.json"

// Kinds of attestation, the vocabulary of receipts.
const (
	KindDeposited  = "deposited"
	KindAvailable  = "available"
	KindNotified   = "notified"
	KindOpened     = "opened"
	KindDownloaded = "downloaded"
	KindUnclaimed  = "unclaimed"
	KindRevoked    = "revoked"
	KindPurged     = "purged"
	KindExtended   = "extended"
)

// Attestation is what an attestation shows. Empty fields are left out,
// except those every attestation has (kind, issue date, checkpoint, JSON).
type Attestation struct {
	// Kind is one of the Kind constants; it chooses the title.
	Kind string
	// ID is the receipt's identifier.
	ID string
	// IssuedAt is when the receipt was issued.
	IssuedAt time.Time
	// Operator names who runs the platform ("Ministère de la Justice —
	// Tribunal judiciaire de Lyon"), Platform the platform ("navette").
	Operator string
	Platform string

	// The deposit.
	DepositID string
	// Reference is the case reference; empty when the receipt does not
	// disclose it.
	Reference string
	CreatedAt time.Time
	ExpiresAt time.Time

	// Sender and Recipients are the deposit's parties; By is who acted
	// (downloaded, opened, revoked), For whom it counts (a recipient or a
	// service mailbox).
	Sender     *Party
	Recipients []Party
	By         *Party
	For        *Party
	// NotFetchedBy lists the recipients who had not downloaded at expiry
	// (unclaimed).
	NotFetchedBy []Party
	// PartlyFetchedBy lists the recipients who had downloaded some of
	// Files at expiry, not all (unclaimed), and which.
	PartlyFetchedBy []Partial
	// Notice is the notice the mail server accepted (notified).
	Notice *Notice

	// Files are the files the attestation is about.
	Files []File
	// Antivirus names the antivirus that checked the files, and its
	// version, when known.
	Antivirus string

	// Events are the journal events the receipt proves.
	Events []Event
	// Checkpoint is the signed checkpoint the events are proven against.
	Checkpoint Checkpoint
	// Time is the source of the events' time.
	Time TimeSource
	// KeysURL is where the journal's public keys are published
	// (https://HOST/api/v1/journal/keys); DocsURL where the verification
	// method is described (docs/proofs.md when empty).
	KeysURL string
	DocsURL string

	// JSON is the receipt, attached to the PDF as receipt.json, byte for
	// byte.
	JSON []byte
}

// Party is a person or a service mailbox.
type Party struct {
	Name  string
	Email string
	Org   string
	// Kind is "person" or "service" (a service mailbox).
	Kind string
	// Auth is how the party signed in, for the one who acted.
	Auth *Auth
}

// Partial is a recipient who had downloaded some of the files, not all:
// the numbers in Files (from 1) of those it had and of those it had not.
type Partial struct {
	Party
	Fetched, NotFetched []int
}

// Auth is a sign-in.
type Auth struct {
	// Method is navette's name of it: "oidc", "oidc:ACR", "ldap", "code",
	// "code+totp", "code+recovery", "token".
	Method string
	At     time.Time
	// Level is the method's assurance ("low", "substantial", "high"), ""
	// if the claims do not say.
	Level string
}

// Notice is an e-mail notice the mail server accepted.
type Notice struct {
	To         string
	MessageID  string
	AcceptedAt time.Time
}

// File is a file of the deposit.
type File struct {
	Name   string
	Size   int64
	SHA256 string // hex
	// Check says in words what the content checks found, when known:
	// "aucun virus détecté par l'antivirus", "non analysé par un
	// antivirus".
	Check string
}

// Event is a journal event.
type Event struct {
	// Index is the event's position in the journal (its leaf index).
	Index int64
	Time  time.Time
	// Type is navette's event type ("file.downloaded"); Label, if set,
	// says it instead of its French name (i18n.EventLabel).
	Type  string
	Label string
}

// Checkpoint is a signed checkpoint of the journal.
type Checkpoint struct {
	Origin   string
	Size     int64
	RootHash string // base64, as in the checkpoint
	KeyName  string
	KeyHash  string // hex of the note key hash (4 bytes)
}

// TimeSource says where the events' time comes from.
type TimeSource struct {
	// TSA is the subject of the time-stamping authority's certificate;
	// empty when time comes from the server's clock.
	TSA string
	// Time is the time the authority vouches for, and Serial the token's
	// serial number.
	Time   time.Time
	Serial string
	// Chained reports whether the authority's certificate was checked
	// against a trusted root when the attestation was made.
	Chained bool
}

// titles are the attestations' titles, by kind.
var titles = map[string]string{
	KindDeposited:  "Attestation de dépôt",
	KindAvailable:  "Attestation de mise à disposition",
	KindNotified:   "Attestation de notification",
	KindOpened:     "Attestation d'ouverture",
	KindDownloaded: "Attestation de téléchargement",
	KindUnclaimed:  "Attestation de non-retrait",
	KindRevoked:    "Attestation de retrait (révocation)",
	KindPurged:     "Attestation de purge",
	KindExtended:   "Attestation de prolongation",
}

// statements say what the platform attests, by kind, after "La
// plateforme X atteste que ".
var statements = map[string]string{
	KindDeposited:  "l'expéditeur désigné ci-dessous a déposé les fichiers énumérés, à l'intention des destinataires indiqués, à la date et à l'heure indiquées.",
	KindAvailable:  "les fichiers énumérés ci-dessous ont été mis à la disposition des destinataires indiqués, à la date et à l'heure indiquées.",
	KindNotified:   "l'avis de mise à disposition a été accepté par le serveur de messagerie pour l'adresse indiquée, à la date et à l'heure indiquées.",
	KindOpened:     "la personne désignée ci-dessous a ouvert le dépôt, à la date et à l'heure indiquées.",
	KindDownloaded: "le fichier désigné ci-dessous a été transmis en totalité, octet par octet, à la personne indiquée, à la date et à l'heure indiquées.",
	KindUnclaimed:  "les destinataires indiqués n'avaient pas retiré le dépôt à son expiration, à la date et à l'heure indiquées.",
	KindRevoked:    "le dépôt a été retiré (révoqué) avant son terme, à la date et à l'heure indiquées ; ses fichiers ne sont plus téléchargeables.",
	KindPurged:     "le contenu des fichiers énumérés a été rendu définitivement illisible par la destruction de sa clé de chiffrement, à la date et à l'heure indiquées.",
	KindExtended:   "l'expéditeur désigné ci-dessous a prolongé la durée de conservation du dépôt, à la date et à l'heure indiquées, jusqu'à la nouvelle échéance indiquée.",
}

// unclaimedFiles says what the platform attests of an unclaimed deposit
// whose attestation lists the files made available.
const unclaimedFiles = "les fichiers énumérés ci-dessous avaient été mis à la disposition des destinataires indiqués, et que ceux-ci ne les avaient pas téléchargés, ou seulement ceux indiqués, à l'expiration du dépôt, à la date et à l'heure indiquées."

// unclaimedNobody says what the platform attests of an unclaimed deposit
// whose attestation names no recipient: the one every recipient gets, its
// claims withheld.
const unclaimedNobody = "des destinataires du dépôt n'avaient pas téléchargé tous ses fichiers à son expiration, à la date et à l'heure indiquées ; cette attestation ne dit pas lesquels, et chaque destinataire reçoit la même."

// statement says what the platform attests in a.
func statement(a *Attestation) string {
	switch {
	case a.Kind != KindUnclaimed:
	case len(a.NotFetchedBy) == 0 && len(a.PartlyFetchedBy) == 0:
		return unclaimedNobody
	case len(a.Files) > 0:
		return unclaimedFiles
	}
	return statements[a.Kind]
}

var paris = mustParis()

func mustParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil { // impossible with time/tzdata embedded
		panic("pdf: no Europe/Paris time zone: " + err.Error())
	}
	return loc
}

// Page geometry, in millimetres, and colours.
const (
	margin    = 18.0
	labelW    = 46.0
	lineH     = 4.6
	bodySize  = 9.5
	smallSize = 8.0
	monoSize  = 8.0
)

var (
	blue  = [3]int{0, 0, 145}     // "bleu France"
	grey  = [3]int{90, 90, 90}    // labels, notes
	light = [3]int{238, 238, 244} // table headers, boxes
	rule  = [3]int{180, 180, 190}
)

// renders holds a place for each attestation being drawn. Drawing is
// processor work that allocates about 24 MB a document (fpdf parses the
// four fonts again and makes a zlib writer for each stream, every time, and
// has no way to keep them): many drawings at once would not end sooner,
// they would only hold more memory (32 at once held 220 MB). Twice as many
// as processors keeps them busy while the collector runs (one each made it
// collect so often that it cost 60% more processor time).
var renders = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// Write renders a as a PDF to w. It returns an EINVALID error if a has no
// known kind or no JSON. It is safe for concurrent use: at most twice
// GOMAXPROCS attestations are drawn at once, the others wait their turn,
// or until ctx is done (the request that wants the PDF gone): then it
// returns an error wrapping ctx.Err().
func Write(ctx context.Context, w io.Writer, a *Attestation) error {
	title, ok := titles[a.Kind]
	if !ok {
		return navette.Errorf(navette.EINVALID, "No attestation of kind %q.", a.Kind)
	}
	if len(a.JSON) == 0 {
		return navette.Errorf(navette.EINVALID, "An attestation carries its receipt's JSON.")
	}
	select {
	case renders <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("pdf: waiting to render: %w", ctx.Err())
	}
	var buf bytes.Buffer
	if err := build(&buf, a, title); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}

// build draws the attestation into buf, in the place taken in renders,
// which it gives back. fpdf panics on some inputs that clean keeps away; a
// panic left is an error, not a crash of the server.
func build(buf *bytes.Buffer, a *Attestation, title string) (err error) {
	defer func() {
		<-renders
		if r := recover(); r != nil {
			err = fmt.Errorf("pdf: rendering failed: %v", r)
		}
	}()
	p := &page{Fpdf: fpdf.New("P", "mm", "A4", ""), a: a, title: title}
	p.render()
	if err := p.Output(buf); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	return nil
}

// page is an attestation being drawn.
type page struct {
	*fpdf.Fpdf
	a     *Attestation
	title string
}

func (p *page) render() {
	a := p.a
	// fpdf writes into the font bytes it is given (utf8FontFile.getMetrics
	// appends to a slice of them), so each document gets its own copy: the
	// embedded fonts are shared by every document rendered at once.
	p.AddUTF8FontFromBytes("go", "", bytes.Clone(goregular.TTF))
	p.AddUTF8FontFromBytes("go", "B", bytes.Clone(gobold.TTF))
	p.AddUTF8FontFromBytes("go", "I", bytes.Clone(goitalic.TTF))
	p.AddUTF8FontFromBytes("mono", "", bytes.Clone(gomono.TTF))
	p.SetMargins(margin, margin, margin)
	p.SetAutoPageBreak(true, margin+6)
	p.SetCellMargin(1)
	p.SetTitle(p.title+" — "+clean(a.ID), true)
	p.SetSubject(p.title, true)
	p.SetAuthor(clean(a.Operator), true)
	p.SetCreator(clean(or(a.Platform, "navette")), true)
	p.SetProducer("navette (codeberg.org/go-pdf/fpdf)", true)
	p.SetLang("fr-FR")
	p.SetCatalogSort(true)
	if !a.IssuedAt.IsZero() {
		p.SetCreationDate(a.IssuedAt)
		p.SetModificationDate(a.IssuedAt)
	}
	p.SetAttachments([]fpdf.Attachment{{
		Content:     a.JSON,
		Filename:    AttachmentName,
		Description: "Reçu électronique (" + navetteMediaType + ") à vérifier avec navette verify",
	}})
	p.AliasNbPages("{nb}")
	p.SetFooterFunc(p.footer)
	p.AddPage()

	p.header()
	p.parties()
	p.files()
	p.events()
	p.seal()
	p.howToVerify()
}

const navetteMediaType = "application/vnd.navette.receipt+json"

// width is the width between the margins.
func (p *page) width() float64 {
	w, _ := p.GetPageSize()
	return w - 2*margin
}

func (p *page) color(c [3]int) { p.SetTextColor(c[0], c[1], c[2]) }
func (p *page) fill(c [3]int)  { p.SetFillColor(c[0], c[1], c[2]) }
func (p *page) draw(c [3]int)  { p.SetDrawColor(c[0], c[1], c[2]) }
func (p *page) font(style string, size float64) {
	p.SetFont("go", style, size)
}

// need starts a new page unless h millimetres fit on this one.
func (p *page) need(h float64) {
	_, ph := p.GetPageSize()
	_, _, _, bottom := p.GetMargins()
	if p.GetY()+h > ph-bottom {
		p.AddPage()
	}
}

func (p *page) header() {
	a := p.a
	w := p.width()
	y := p.GetY()
	p.font("B", 10)
	p.color(blue)
	p.MultiCell(w*0.6, 5, clean(or(a.Operator, a.Platform)), "", "L", false)
	if a.Operator != "" && a.Platform != "" {
		p.font("", smallSize)
		p.color(grey)
		p.MultiCell(w*0.6, 4, "Plateforme d'échange sécurisé "+clean(a.Platform), "", "L", false)
	}
	left := p.GetY()
	p.SetXY(margin+w*0.55, y)
	p.font("", smallSize)
	p.color(grey)
	p.MultiCell(w*0.45, 4, "Attestation n° "+clean(a.ID), "", "R", false)
	p.SetX(margin + w*0.55)
	p.MultiCell(w*0.45, 4, "Émise le "+parisTime(a.IssuedAt), "", "R", false)
	p.SetY(max(left, p.GetY()) + 2)
	p.draw(blue)
	p.SetLineWidth(0.6)
	p.Line(margin, p.GetY(), margin+w, p.GetY())
	p.Ln(7)

	p.font("B", 19)
	p.color(blue)
	p.CellFormat(w, 9, p.title, "", 1, "C", false, 0, "")
	p.Ln(3)
	p.font("", bodySize)
	p.color([3]int{0, 0, 0})
	p.MultiCell(w, 5, "La plateforme "+clean(or(a.Platform, "navette"))+" atteste que "+statement(a), "", "J", false)
	p.Ln(1)
	p.font("I", smallSize)
	p.color(grey)
	p.MultiCell(w, 4, "Ces faits sont inscrits dans le journal de la plateforme, dont l'état est scellé par signature électronique. "+
		"Le reçu électronique joint à ce document ("+AttachmentName+") permet à quiconque de le vérifier sans dépendre de la plateforme : voir « Comment vérifier ».", "", "J", false)
}

// section starts a section titled t, on a new page unless its heading and
// minH millimetres of it fit.
func (p *page) section(t string, minH float64) {
	p.Ln(5)
	p.need(9 + minH)
	p.font("B", 11)
	p.color(blue)
	p.CellFormat(p.width(), 6, t, "", 1, "L", false, 0, "")
	p.draw(rule)
	p.SetLineWidth(0.2)
	p.Line(margin, p.GetY(), margin+p.width(), p.GetY())
	p.Ln(2)
}

// field writes a label and its value, wrapped; an empty value writes
// nothing.
func (p *page) field(label, value string) {
	p.fieldFont(label, value, "go", bodySize)
}

// monoField is field with the value in the monospaced font.
func (p *page) monoField(label, value string) {
	p.fieldFont(label, value, "mono", monoSize)
}

func (p *page) fieldFont(label, value, family string, size float64) {
	if value == "" {
		return
	}
	vw := p.width() - labelW
	p.SetFont(family, "", size)
	lines := p.SplitText(value, vw)
	p.need(float64(len(lines)) * lineH)
	y := p.GetY()
	p.font("B", smallSize)
	p.color(grey)
	p.SetXY(margin, y)
	p.MultiCell(labelW, lineH, label, "", "L", false)
	ly := p.GetY()
	p.SetXY(margin+labelW, y)
	p.SetFont(family, "", size)
	p.color([3]int{0, 0, 0})
	for _, l := range lines {
		p.SetX(margin + labelW)
		p.CellFormat(vw, lineH, l, "", 1, "L", false, 0, "")
	}
	p.SetY(max(ly, p.GetY()) + 0.8)
}

func (p *page) parties() {
	a := p.a
	p.section("Dossier", 3*lineH)
	p.field("Référence du dossier", or(clean(a.Reference), "non communiquée dans ce reçu"))
	p.field("Identifiant du dépôt", clean(a.DepositID))
	p.field("Déposé le", frenchDate(a.CreatedAt))
	p.field("Disponible jusqu'au", frenchDate(a.ExpiresAt))

	p.section("Parties", 3*lineH)
	if a.Sender != nil {
		p.field("Expéditeur", party(a.Sender))
	}
	p.partyList("Destinataire", "Destinataires", a.Recipients)
	if a.By != nil {
		p.field(byLabel(a.Kind), party(a.By))
		if a.By.Auth != nil {
			p.field("Authentification", signIn(a.By.Auth))
		}
	}
	if a.For != nil {
		p.field("Pour le compte de", party(a.For))
	}
	p.partyList("Non retiré par", "Non retiré par", a.NotFetchedBy)
	for i := range a.PartlyFetchedBy {
		pf := &a.PartlyFetchedBy[i]
		p.field("Retiré en partie par", party(&pf.Party))
		p.field("", "a téléchargé "+fileNumbers(pf.Fetched)+" ; n'a pas téléchargé "+fileNumbers(pf.NotFetched))
	}
	if n := a.Notice; n != nil {
		p.field("Avis adressé à", clean(n.To))
		p.monoField("Identifiant du message", clean(n.MessageID))
		p.field("Accepté le", frenchDate(n.AcceptedAt))
	}
}

// fileNumbers names files by their numbers in the table of files: "le
// fichier n° 1", "les fichiers n° 2, 3", "aucun fichier".
func fileNumbers(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	switch len(ns) {
	case 0:
		return "aucun fichier"
	case 1:
		return "le fichier n° " + s[0]
	}
	return "les fichiers n° " + strings.Join(s, ", ")
}

// partyList writes the parties ps, labelled one, or many if there are
// several, on the first line only.
func (p *page) partyList(one, many string, ps []Party) {
	label := one
	if len(ps) > 1 {
		label = many
	}
	for i := range ps {
		p.field(label, party(&ps[i]))
		label = ""
	}
}

// byLabel names who acted, by kind.
func byLabel(kind string) string {
	switch kind {
	case KindDownloaded:
		return "Téléchargé par"
	case KindOpened:
		return "Ouvert par"
	case KindRevoked:
		return "Retiré par"
	case KindExtended:
		return "Prolongé par"
	}
	return "Action de"
}

func (p *page) files() {
	a := p.a
	if len(a.Files) == 0 {
		return
	}
	title := "Fichiers"
	if len(a.Files) == 1 {
		title = "Fichier"
	}
	p.section(title, 2*lineH+4)
	w := p.width()
	cols := []column{
		{"N°", 9, "go", bodySize, "R"},
		{"Nom du fichier", 0, "go", bodySize, "L"},
		{"Taille", 31, "go", smallSize + 0.5, "R"},
		{"Empreinte SHA-256 (hexadécimal)", 57, "mono", monoSize, "L"},
	}
	cols[1].w = w - cols[0].w - cols[2].w - cols[3].w
	var rows [][]string
	for i, f := range a.Files {
		rows = append(rows, []string{strconv.Itoa(i + 1), clean(f.Name), size(f.Size), wrapHex(f.SHA256, 32)})
	}
	p.table(cols, rows)
	label := "Analyse antivirus"
	for i, f := range a.Files {
		if f.Check == "" {
			continue
		}
		v := clean(f.Check)
		if len(a.Files) > 1 {
			v = "n° " + strconv.Itoa(i+1) + " : " + v
		}
		p.field(label, v)
		label = ""
	}
	p.field("Antivirus", clean(a.Antivirus))
}

func (p *page) events() {
	a := p.a
	if len(a.Events) == 0 {
		return
	}
	p.section("Événements inscrits au journal", 2*lineH+4)
	w := p.width()
	cols := []column{
		{"Événement", 0, "go", bodySize, "L"},
		{"Heure de Paris", 56, "go", smallSize + 0.5, "L"},
		{"Temps universel (UTC)", 44, "go", smallSize + 0.5, "L"},
		{"N° au journal", 20, "go", bodySize, "R"},
	}
	cols[0].w = w - cols[1].w - cols[2].w - cols[3].w
	var rows [][]string
	for _, e := range a.Events {
		label := e.Label
		if label == "" {
			label = i18n.EventLabel(navette.LangFrench, navette.EventType(e.Type))
		}
		rows = append(rows, []string{clean(label), parisTime(e.Time), utcTime(e.Time), strconv.FormatInt(e.Index, 10)})
	}
	p.table(cols, rows)
	p.Ln(1)
	p.font("I", smallSize)
	p.color(grey)
	p.MultiCell(w, 4, "Les dates sont données à la seconde ; le reçu joint les donne à la microseconde.", "", "L", false)
}

func (p *page) seal() {
	a, c := p.a, p.a.Checkpoint
	p.section("Scellement du journal", 4*lineH)
	p.field("Point de contrôle", "état du journal signé par la plateforme (format C2SP tlog-checkpoint, signature Ed25519)")
	p.field("Origine", clean(c.Origin))
	p.field("Taille du journal", strconv.FormatInt(c.Size, 10)+" événements")
	p.monoField("Empreinte racine", clean(c.RootHash))
	key := clean(c.KeyName)
	if c.KeyHash != "" {
		key += " (empreinte de clé " + clean(c.KeyHash) + ")"
	}
	p.field("Clé de signature", key)

	p.section("Source du temps", 2*lineH)
	t := a.Time
	if t.TSA == "" {
		p.field("Horodatage", "Aucune autorité d'horodatage n'a scellé ce point de contrôle : les dates proviennent de l'horloge du serveur de la plateforme.")
		return
	}
	p.field("Horodatage", "Le point de contrôle est horodaté par une autorité d'horodatage (jeton RFC 3161 joint au reçu).")
	p.field("Autorité", clean(t.TSA))
	p.field("Date certifiée", parisTime(t.Time)+" — "+utcTime(t.Time))
	p.monoField("N° de série du jeton", clean(t.Serial))
	if t.Chained {
		p.field("Certificat", "vérifié auprès d'une autorité de certification de confiance lors de l'émission")
	} else {
		p.field("Certificat", "signature vérifiée ; certificat non rapproché d'une autorité de certification de confiance lors de l'émission")
	}
}

func (p *page) howToVerify() {
	a := p.a
	w := p.width()
	p.section("Comment vérifier", 6*lineH)
	keys := a.KeysURL
	if keys == "" {
		keys = "https://<adresse de la plateforme>/api/v1/journal/keys"
	}
	docs := or(a.DocsURL, "docs/proofs.md")
	sum := sha256.Sum256(a.JSON)
	steps := []struct{ text, cmd string }{
		{"Extraire le reçu joint à ce PDF (panneau « Pièces jointes » du lecteur, ou en ligne de commande) :", "pdfdetach -saveall attestation.pdf"},
		{"Vérifier que le reçu extrait est bien celui de cette attestation : son empreinte SHA-256 est", hex.EncodeToString(sum[:])},
		{"Se procurer les clés publiques du journal, publiées par la plateforme (les clés anciennes restent publiées) :", "curl -o cles-journal.txt " + clean(keys)},
		{"Vérifier le reçu, sans connexion à la plateforme ni à sa base de données (signature du point de contrôle, preuve d'inclusion, jeton d'horodatage, empreintes) :", "navette verify --key cles-journal.txt " + AttachmentName},
		{"La méthode de vérification et des vecteurs de test sont décrits dans " + clean(docs) + ", pour qui veut écrire son propre vérificateur.", ""},
	}
	for i, s := range steps {
		p.font("", bodySize)
		lines := p.SplitText(s.text, w-7)
		h := float64(len(lines)) * lineH
		if s.cmd != "" {
			h += lineH + 2
		}
		p.need(h)
		p.color(blue)
		p.font("B", bodySize)
		y := p.GetY()
		p.CellFormat(7, lineH, strconv.Itoa(i+1)+".", "", 0, "L", false, 0, "")
		p.color([3]int{0, 0, 0})
		p.font("", bodySize)
		p.SetXY(margin+7, y)
		p.MultiCell(w-7, lineH, s.text, "", "L", false)
		if s.cmd != "" {
			p.SetFont("mono", "", monoSize)
			p.fill(light)
			for _, l := range p.SplitText(s.cmd, w-7) {
				p.SetX(margin + 7)
				p.CellFormat(w-7, lineH+0.6, l, "", 1, "L", true, 0, "")
			}
		}
		p.Ln(1.5)
	}
}

func (p *page) footer() {
	p.SetY(-margin)
	p.draw(rule)
	p.SetLineWidth(0.2)
	p.Line(margin, p.GetY(), margin+p.width(), p.GetY())
	p.Ln(1)
	p.font("", 7)
	p.color(grey)
	p.CellFormat(p.width()*0.75, 4, p.title+" n° "+clean(p.a.ID)+" — reçu électronique joint : "+AttachmentName, "", 0, "L", false, 0, "")
	p.CellFormat(p.width()*0.25, 4, fmt.Sprintf("Page %d sur {nb}", p.PageNo()), "", 0, "R", false, 0, "")
}

// column is a table column; w 0 takes what the others leave.
type column struct {
	title  string
	w      float64
	family string
	size   float64
	align  string
}

// table draws a table with a header row, repeated on each new page.
func (p *page) table(cols []column, rows [][]string) {
	const pad = 1.2
	head := func() {
		p.font("B", smallSize)
		p.color(grey)
		p.fill(light)
		x := margin
		for _, c := range cols {
			p.SetX(x)
			p.CellFormat(c.w, 6, c.title, "", 0, c.align, true, 0, "")
			x += c.w
		}
		p.Ln(6)
	}
	head()
	for _, row := range rows {
		split := make([][]string, len(cols))
		n := 1
		for i, c := range cols {
			p.SetFont(c.family, "", c.size)
			for _, part := range strings.Split(row[i], "\n") {
				split[i] = append(split[i], p.SplitText(part, c.w)...)
			}
			n = max(n, len(split[i]))
		}
		h := float64(n)*lineH + 2*pad
		if _, ph := p.GetPageSize(); p.GetY()+h > ph-margin-6 {
			p.AddPage()
			head()
		}
		y := p.GetY()
		x := margin
		p.color([3]int{0, 0, 0})
		for i, c := range cols {
			p.SetFont(c.family, "", c.size)
			for j, l := range split[i] {
				p.SetXY(x, y+pad+float64(j)*lineH)
				p.CellFormat(c.w, lineH, l, "", 0, c.align, false, 0, "")
			}
			x += c.w
		}
		p.SetY(y + h)
		p.draw(rule)
		p.SetLineWidth(0.1)
		p.Line(margin, p.GetY(), margin+p.width(), p.GetY())
	}
}

// party writes a party on one line: "Name <email>, Org (boîte de service)".
func party(pt *Party) string {
	s := clean(pt.Name)
	if pt.Email != "" {
		if s != "" {
			s += " "
		}
		s += "<" + clean(pt.Email) + ">"
	}
	if pt.Org != "" {
		s += ", " + clean(pt.Org)
	}
	if pt.Kind == "service" {
		s += " (boîte de service)"
	}
	return or(s, "non communiqué dans ce reçu")
}

// signIn says how someone signed in.
func signIn(a *Auth) string {
	m := i18n.SignInMethodsFR[a.Method]
	if acr, ok := strings.CutPrefix(a.Method, "oidc:"); ok {
		m = i18n.SignInMethodsFR["oidc"] + ", classe " + clean(acr)
	} else if m == "" {
		m = clean(a.Method)
	}
	if !a.At.IsZero() {
		m += ", session ouverte le " + frenchDate(a.At)
	}
	if l := i18n.AssuranceLevelsFR[a.Level]; l != "" {
		m += ", niveau de garantie " + l
	}
	return m
}

var (
	frDays   = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// frenchDate writes t as "samedi 5 décembre 2026 à 14:08:44 (heure de
// Paris)"; the zero time gives "".
func frenchDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(paris)
	d := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		d = "1er"
	}
	return frDays[t.Weekday()] + " " + d + " " + frMonths[t.Month()-1] + " " + strconv.Itoa(t.Year()) + " à " + t.Format("15:04:05") + " (heure de Paris)"
}

// parisTime writes t as "05/12/2026 14:08:44 (UTC+01:00)".
func parisTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(paris).Format("02/01/2006 15:04:05 (UTC-07:00)")
}

// utcTime writes t as "2026-12-05 13:08:44 UTC".
func utcTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// size writes n bytes in French: "1 234 567 octets" and, from 1 ko, the
// rounded size in decimal units as everywhere else ("1,2 Mo").
func size(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && r != '-' && s[i-1] != '-' {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(r)
	}
	unit := " octet"
	if n > 1 || n < -1 {
		unit = " octets"
	}
	out := b.String() + unit
	if n >= 1000 {
		out += "\n(" + i18n.Size(navette.LangFrench, n) + ")"
	}
	return out
}

// wrapHex cuts a hex string into lines of n characters.
func wrapHex(s string, n int) string {
	s = clean(s)
	var lines []string
	for len(s) > n {
		lines = append(lines, s[:n])
		s = s[n:]
	}
	return strings.Join(append(lines, s), "\n")
}

// clean makes text safe to show: control and bidirectional formatting
// characters, which could hide or reorder what a reader sees, letters that
// pass for Latin ones in a word of Latin letters (i18n.LookAlikes),
// invalid UTF-8, and characters beyond the Basic Multilingual Plane, which
// the fonts lack, are shown as <U+XXXX>.
func clean(s string) string { return i18n.Codes(i18n.LookAlikes(s), unsafeRune) }

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' ||
		r == unicode.ReplacementChar || r > 0xFFFF
}

// or returns s, or def if s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
