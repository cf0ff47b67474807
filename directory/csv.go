package directory

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"navette"
	"navette/account"
)

// Mapping describes a professional directory's CSV flow: which directory
// it feeds, what its people are, and which columns hold what. Column names
// are matched against the header line ignoring case and surrounding
// spaces; a column left empty is not read. ExternalID, LastName and Email
// are required; FirstName, Org, Status and Updated are optional.
type Mapping struct {
	Source    string       // directory the flow feeds, such as "lawyers"
	Kind      string       // the partners' profession, such as "lawyer"
	Role      navette.Role // role of the people listed; zero means navette.RolePartner
	Separator rune         // field separator; zero means ';'

	ExternalID string // column of the person's id in the directory, such as "cnbf"
	LastName   string // column of the family name
	FirstName  string // column of the given name
	Org        string // column of the organisation, such as the bar
	Email      string // column of the professional e-mail address
	Status     string // column of the status; without it everyone listed is active
	Updated    string // column of the date of last change; checked to be there, not used

	// ActiveStatuses are the statuses that let a person in, compared
	// ignoring case and accents; nil means DefaultActiveStatuses.
	ActiveStatuses []string
	// KnownStatuses are the statuses a flow may hold besides the active
	// ones, compared ignoring case and accents; nil means DefaultKnownStatuses. Any
	// other status is refused, so that a new word in the flow is noticed
	// rather than taken for a revocation.
	KnownStatuses []string
}

// DefaultActiveStatuses are the statuses of the national table of lawyers
// that let a lawyer in.
var DefaultActiveStatuses = []string{"actif"}

// DefaultKnownStatuses are the statuses of the national table of lawyers.
var DefaultKnownStatuses = []string{"actif", "omis", "suspendu", "radie"}

// LawyersMapping returns the mapping of the national table of lawyers:
// columns cnbf, nom, prenom, barreau, email, statut, date_maj separated by
// ';', feeding the directory "lawyers" with partners of kind "lawyer".
func LawyersMapping() Mapping {
	return Mapping{
		Source:     "lawyers",
		Kind:       "lawyer",
		Role:       navette.RolePartner,
		Separator:  ';',
		ExternalID: "cnbf",
		LastName:   "nom",
		FirstName:  "prenom",
		Org:        "barreau",
		Email:      "email",
		Status:     "statut",
		Updated:    "date_maj",
	}
}

// Limits on a flow's fields, in bytes, and on its size.
const (
	MaxExternalIDLen = 64
	MaxNamePartLen   = 100 // first or last name
	MaxOrgLen        = 200
	MaxEmailLen      = 254
	MaxStatusLen     = 40
	MaxRows          = 1_000_000
	// MaxProblems is how many problems Parse and Sync.Apply collect before
	// they stop looking.
	MaxProblems = 100
)

// mappingKeys maps the keys of a mapping file and of --map to the column
// fields they set.
var mappingKeys = map[string]func(m *Mapping) *string{
	"externalid":  func(m *Mapping) *string { return &m.ExternalID },
	"external_id": func(m *Mapping) *string { return &m.ExternalID },
	"id":          func(m *Mapping) *string { return &m.ExternalID },
	"lastname":    func(m *Mapping) *string { return &m.LastName },
	"last_name":   func(m *Mapping) *string { return &m.LastName },
	"firstname":   func(m *Mapping) *string { return &m.FirstName },
	"first_name":  func(m *Mapping) *string { return &m.FirstName },
	"org":         func(m *Mapping) *string { return &m.Org },
	"email":       func(m *Mapping) *string { return &m.Email },
	"status":      func(m *Mapping) *string { return &m.Status },
	"updated":     func(m *Mapping) *string { return &m.Updated },
}

// Set sets one setting of m by name, as a mapping file or the command line
// gives it: a column (external_id or id, last_name, first_name, org, email,
// status, updated: the column's name in the header, empty for none), or
// source, kind, role, separator (one character, or "tab"), active and
// known (comma-separated statuses).
func (m *Mapping) Set(key, value string) error {
	key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
	if col, ok := mappingKeys[key]; ok {
		*col(m) = value
		return nil
	}
	switch key {
	case "source":
		m.Source = value
	case "kind":
		m.Kind = value
	case "role":
		m.Role = navette.Role(value)
	case "separator", "sep":
		sep, err := parseSeparator(value)
		if err != nil {
			return err
		}
		m.Separator = sep
	case "active":
		m.ActiveStatuses = splitList(value)
	case "known":
		m.KnownStatuses = splitList(value)
	default:
		return navette.Errorf(navette.EINVALID, "Unknown mapping setting %q: use external_id, last_name, first_name, org, email, status, updated, source, kind, role, separator, active or known.", key)
	}
	return nil
}

// parseSeparator returns the separator value names: one character, or
// "tab".
func parseSeparator(value string) (rune, error) {
	switch {
	case strings.EqualFold(value, "tab") || value == `\t`:
		return '\t', nil
	case utf8.RuneCountInString(value) == 1:
		r, _ := utf8.DecodeRuneInString(value)
		return r, nil
	default:
		return 0, navette.Errorf(navette.EINVALID, "The separator must be one character or \"tab\", not %q.", value)
	}
}

// SetSpec sets one setting of m from "key=value", the form of the
// command line's --map flag.
func (m *Mapping) SetSpec(spec string) error {
	key, value, ok := strings.Cut(spec, "=")
	if !ok {
		return navette.Errorf(navette.EINVALID, "A mapping is written key=value, such as email=courriel, not %q.", spec)
	}
	return m.Set(key, value)
}

// ReadMapping reads a mapping file onto base and returns the result. The
// file holds one "key = value" setting a line (see Mapping.Set); blank
// lines and lines starting with '#' are ignored.
func ReadMapping(r io.Reader, base Mapping) (Mapping, error) {
	m := base
	m.ActiveStatuses = slices.Clone(base.ActiveStatuses)
	m.KnownStatuses = slices.Clone(base.KnownStatuses)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return base, navette.Errorf(navette.EINVALID, "Line %d of the mapping is not UTF-8.", n)
		}
		if err := m.SetSpec(line); err != nil {
			return base, navette.Errorf(navette.EINVALID, "Line %d of the mapping: %s", n, navette.ErrorMessage(err))
		}
	}
	if err := sc.Err(); err != nil {
		return base, navette.WrapError(navette.EINVALID, err, "The mapping cannot be read.")
	}
	return m, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// withDefaults returns m with its zero settings replaced by their defaults.
func (m Mapping) withDefaults() Mapping {
	if m.Role == "" {
		m.Role = navette.RolePartner
	}
	if m.Separator == 0 {
		m.Separator = ';'
	}
	if m.ActiveStatuses == nil {
		m.ActiveStatuses = DefaultActiveStatuses
	}
	if m.KnownStatuses == nil {
		m.KnownStatuses = DefaultKnownStatuses
	}
	return m
}

// Validate checks that m, with its defaults, can read a flow.
func (m Mapping) Validate() error {
	m = m.withDefaults()
	switch {
	case !validName(m.Source):
		return navette.Errorf(navette.EINVALID, "A flow needs a source of 1 to 64 letters, digits, '-' or '_', such as \"lawyers\".")
	case !flowRole(m.Role):
		return navette.Errorf(navette.EINVALID, "A flow lists partners, agents or court admins, not %q.", m.Role)
	case m.Role == navette.RolePartner && !validName(m.Kind):
		return navette.Errorf(navette.EINVALID, "A flow of partners needs a kind of 1 to 64 letters, digits, '-' or '_', such as \"lawyer\".")
	case !validSeparator(m.Separator):
		return navette.Errorf(navette.EINVALID, "%q cannot separate fields.", m.Separator)
	case !m.mapsRequired():
		return navette.Errorf(navette.EINVALID, "A flow's mapping must name the columns of the external id, the last name and the e-mail.")
	case len(m.ActiveStatuses) == 0:
		return navette.Errorf(navette.EINVALID, "A flow's mapping needs at least one active status.")
	}
	return m.checkColumns()
}

// flowRole reports whether a flow may list people of role r.
func flowRole(r navette.Role) bool {
	switch r {
	case navette.RolePartner, navette.RoleAgent, navette.RoleCourtAdmin:
		return true
	}
	return false
}

// mapsRequired reports whether m names the columns of the external id, the
// last name and the e-mail.
func (m Mapping) mapsRequired() bool {
	return m.ExternalID != "" && m.LastName != "" && m.Email != ""
}

// checkColumns refuses a mapping that maps one column to two fields.
func (m Mapping) checkColumns() error {
	seen := map[string]string{}
	for _, c := range [][2]string{{"external_id", m.ExternalID}, {"last_name", m.LastName}, {"first_name", m.FirstName}, {"org", m.Org}, {"email", m.Email}, {"status", m.Status}, {"updated", m.Updated}} {
		if c[1] == "" {
			continue
		}
		k := columnKey(c[1])
		if other, ok := seen[k]; ok {
			return navette.Errorf(navette.EINVALID, "The column %q is mapped to both %s and %s.", c[1], other, c[0])
		}
		seen[k] = c[0]
	}
	return nil
}

// validName reports whether s is a name of 1 to 64 letters, digits, '-' or
// '_': a source or a kind.
func validName(s string) bool {
	return s != "" && len(s) <= 64 && !strings.ContainsFunc(s, badNameRune)
}

// validSeparator reports whether r can separate the fields of a flow.
func validSeparator(r rune) bool {
	switch r {
	case '"', '\r', '\n', utf8.RuneError:
		return false
	}
	return utf8.ValidRune(r) && !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// nameChars are the characters of a source or a kind.
const nameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"

func badNameRune(r rune) bool { return !strings.ContainsRune(nameChars, r) }

func columnKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Problem is one thing wrong with a flow or a listing.
type Problem struct {
	// Line is the problem's line in the flow; 0 when it is about the flow
	// as a whole or about a person absent from it.
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
	// Format and Args are Message before formatting, kept so that a user
	// interface can show the problem in its own language: Message is
	// fmt.Sprintf(Format, Args...). An argument of type Text is itself a
	// phrase to translate, one of type Names a list of quoted names. They
	// are empty in a Problem decoded from JSON.
	Format string `json:"-"`
	Args   []any  `json:"-"`
}

// Text is an English phrase kept with its format and arguments, so that a
// user interface can translate it: what encoding/csv found wrong, or the
// part of a problem's message saying whom it is about. String returns it
// in English.
type Text struct {
	Format string
	Args   []any
}

// String returns t in English: fmt.Sprintf(t.Format, t.Args...), or "" for
// the zero Text.
func (t Text) String() string {
	if t.Format == "" {
		return ""
	}
	return fmt.Sprintf(t.Format, t.Args...)
}

// Names is a list of names, such as columns of a header, that a problem
// quotes.
type Names []string

// String returns the names quoted as Go strings and separated by commas,
// as in English messages.
func (n Names) String() string { return n.Quote(strconv.Quote) }

// Quote returns the names each quoted by quote and separated by commas;
// names longer than 40 bytes are cut at a character boundary, and only the first 12 are shown.
func (n Names) Quote(quote func(string) string) string {
	q := make([]string, len(n))
	for i, s := range n {
		if len(s) > 40 {
			cut := 40
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			s = s[:cut] + "…"
		}
		q[i] = quote(s)
	}
	if len(q) > 12 {
		q = append(q[:12], "…")
	}
	return strings.Join(q, ", ")
}

// String returns the problem as "line N: message".
func (p Problem) String() string {
	if p.Line == 0 {
		return p.Message
	}
	return "line " + strconv.Itoa(p.Line) + ": " + p.Message
}

// ParseError is why a flow or a listing was refused: every problem found,
// up to MaxProblems, with its line. Nothing of a refused flow is applied.
// It unwraps to a navette.Error of code EINVALID whose message lists the
// first problems.
type ParseError struct {
	Problems []Problem
	// Truncated is set when more problems were found than MaxProblems and
	// the rest were not looked for.
	Truncated bool
}

// Error returns every problem, one a line.
func (e *ParseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the listing was refused, nothing was applied (%s):", countProblems(e))
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// messageProblems is how many problems the navette.Error message lists.
const messageProblems = 5

// Unwrap returns the navette.Error of code EINVALID that describes e, so
// that navette.ErrorCode and navette.ErrorMessage work on it.
func (e *ParseError) Unwrap() error {
	var b strings.Builder
	fmt.Fprintf(&b, "The listing was refused and nothing was applied (%s): ", countProblems(e))
	for i, p := range e.Problems {
		if i == messageProblems {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	b.WriteString(".")
	return &navette.Error{Code: navette.EINVALID, Message: b.String()}
}

func countProblems(e *ParseError) string {
	switch n := len(e.Problems); {
	case e.Truncated:
		return fmt.Sprintf("%d problems, then checking stopped", n)
	case n == 1:
		return "1 problem"
	default:
		return fmt.Sprintf("%d problems", n)
	}
}

// problems collects the problems of a flow or a listing.
type problems struct{ err ParseError }

// add records a problem and reports whether there is room for more.
func (p *problems) add(line int, format string, args ...any) bool {
	if len(p.err.Problems) >= MaxProblems {
		p.err.Truncated = true
		return false
	}
	p.err.Problems = append(p.err.Problems, Problem{Line: line, Message: fmt.Sprintf(format, args...), Format: format, Args: args})
	return true
}

// addText records a problem whose message is t.
func (p *problems) addText(line int, t Text) bool { return p.add(line, t.Format, t.Args...) }

func (p *problems) full() bool { return len(p.err.Problems) >= MaxProblems }

func (p *problems) error() error {
	if len(p.err.Problems) == 0 {
		return nil
	}
	e := p.err
	return &e
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// column is a mapped column: its name in the mapping and its index in the
// header.
type column struct {
	name  string
	index int
}

// Parse reads a flow described by m: UTF-8 text (other encodings are
// refused), with or without a byte-order mark, CRLF or LF line ends, one
// header line, then one person a line; fields holding the separator or
// quotes are quoted as in RFC 4180. Columns that m does not map are
// ignored. It returns the entries in the order of the flow, or a
// *ParseError listing every problem found (up to MaxProblems): bytes that
// are not UTF-8, missing columns, lines with the wrong number of fields,
// empty or too long fields, control characters, invalid e-mails, unknown
// statuses, and external ids or e-mails listed twice.
func Parse(r io.Reader, m Mapping) ([]Entry, error) {
	m = m.withDefaults()
	if err := m.Validate(); err != nil {
		return nil, err
	}
	cr := newFlowReader(r, m.Separator)
	var probs problems
	p, err := newParser(cr, m, &probs)
	if err != nil {
		return nil, err
	}
	entries, err := p.rows(cr)
	if err != nil {
		return nil, err
	}
	if err := probs.error(); err != nil {
		return nil, err
	}
	return entries, nil
}

// newFlowReader returns a CSV reader of r, past its byte-order mark if it
// has one, whose fields are separated by sep.
func newFlowReader(r io.Reader, sep rune) *csv.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
}

// newParser reads the header line of the flow and returns the parser of
// its rows, or the problems of the header.
func newParser(cr *csv.Reader, m Mapping, probs *problems) (*parser, error) {
	header, err := cr.Read()
	if err == io.EOF {
		probs.add(0, "the flow is empty: a header line is expected")
		return nil, probs.error()
	} else if err != nil {
		return nil, readError(err, probs)
	}
	p := &parser{m: m, probs: probs, header: slices.Clone(header)}
	if !p.readHeader() {
		return nil, probs.error()
	}
	p.ids = make(map[string]int)
	p.emails = make(map[string]int)
	p.active = statusSet(m.ActiveStatuses)
	p.known = statusSet(m.KnownStatuses)
	maps.Copy(p.known, p.active)
	return p, nil
}

// rows checks the rows of the flow after its header and returns the
// entries of those without a problem.
func (p *parser) rows(cr *csv.Reader) ([]Entry, error) {
	var entries []Entry
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if p.probs.full() {
			p.probs.err.Truncated = true
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, navette.WrapError(navette.EINVALID, err, "The flow cannot be read.")
			}
			p.probs.addText(pe.StartLine, csvMessage(pe))
			continue
		}
		line, _ := cr.FieldPos(0)
		if rows++; rows > MaxRows {
			p.probs.add(line, "the flow has more than %d rows", MaxRows)
			break
		}
		if e, ok := p.row(line, rec); ok {
			entries = append(entries, e)
		}
	}
	return entries, nil
}

func readError(err error, probs *problems) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		probs.addText(pe.StartLine, csvMessage(pe))
		return probs.error()
	}
	return navette.WrapError(navette.EINVALID, err, "The flow cannot be read.")
}

// csvMessage says what encoding/csv found wrong, in words for users.
func csvMessage(pe *csv.ParseError) Text {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return Text{"a quote appears inside a field that is not quoted (column %d); quote the whole field and double the quotes inside it", []any{pe.Column}}
	case errors.Is(pe.Err, csv.ErrQuote):
		return Text{"a quoted field is not closed properly (line %d, column %d)", []any{pe.Line, pe.Column}}
	default:
		return Text{"the line cannot be read: %v", []any{pe.Err}}
	}
}

func statusSet(list []string) map[string]bool {
	s := make(map[string]bool, len(list))
	for _, x := range list {
		s[statusKey(x)] = true
	}
	return s
}

// statusKey is how statuses compare: ignoring case, accents and
// punctuation, so that "Radié", "radie" and "RADIÉ" are one status.
func statusKey(s string) string { return strings.Join(navette.SearchWords(s), " ") }

// parser checks the rows of one flow.
type parser struct {
	m      Mapping
	probs  *problems
	header []string

	id, last, first, org, email, status column
	ids, emails                         map[string]int // line of each external id and e-mail seen
	active, known                       map[string]bool
}

// readHeader finds the mapped columns in the header line.
func (p *parser) readHeader() bool {
	if !p.headerUTF8() {
		return false
	}
	h := headerColumns{index: headerIndex(p.header), probs: p.probs}
	p.id, p.last, p.first = h.find(p.m.ExternalID), h.find(p.m.LastName), h.find(p.m.FirstName)
	p.org, p.email, p.status = h.find(p.m.Org), h.find(p.m.Email), h.find(p.m.Status)
	h.find(p.m.Updated)
	if len(h.missing) > 0 {
		found := make([]string, len(p.header))
		for i, name := range p.header {
			found[i] = strings.TrimSpace(name)
		}
		p.probs.add(1, "the header has no column %s (it has %s); check the separator and the mapping",
			Names(h.missing), Names(found))
	}
	return len(p.probs.err.Problems) == 0
}

// headerUTF8 reports whether the header line is UTF-8, and records the
// problem if not.
func (p *parser) headerUTF8() bool {
	for i, h := range p.header {
		if !utf8.ValidString(h) {
			p.probs.add(1, "the header line is not UTF-8 (column %d); the flow must be encoded in UTF-8", i+1)
			return false
		}
	}
	return true
}

// headerIndex returns the index of each column of header by columnKey, -1
// for a column that appears more than once.
func headerIndex(header []string) map[string]int {
	index := make(map[string]int, len(header))
	for i, h := range header {
		k := columnKey(h)
		if _, dup := index[k]; dup {
			index[k] = -1
			continue
		}
		index[k] = i
	}
	return index
}

// headerColumns finds mapped columns in a header line.
type headerColumns struct {
	index   map[string]int // see headerIndex
	probs   *problems
	missing []string // the mapped columns the header lacks
}

// find returns the column name, or a column of index -1 if name is empty;
// a column missing from the header is added to h.missing, one appearing
// twice is a problem.
func (h *headerColumns) find(name string) column {
	if name == "" {
		return column{index: -1}
	}
	i, ok := h.index[columnKey(name)]
	switch {
	case !ok:
		h.missing = append(h.missing, name)
	case i < 0:
		h.probs.add(1, "the column %q appears more than once in the header", name)
	}
	return column{name: name, index: i}
}

// validUTF8 reports whether the fields of rec, on line line, are UTF-8, and
// adds the problem of the first that is not.
func (p *parser) validUTF8(line int, rec []string) bool {
	for i, f := range rec {
		if !utf8.ValidString(f) {
			bad := f[badUTF8(f)]
			name := Text{"%d", []any{i + 1}}
			if i < len(p.header) {
				name = Text{"%q", []any{strings.TrimSpace(p.header[i])}}
			}
			p.probs.add(line+strings.Count(f[:badUTF8(f)], "\n"), "byte 0x%02X in column %s is not UTF-8 (is the flow in Latin-1 or Windows-1252?); the flow must be encoded in UTF-8", bad, name)
			return false
		}
	}
	return true
}

// row checks one row and returns its entry; ok is false if it has a
// problem, which is recorded.
func (p *parser) row(line int, rec []string) (e Entry, ok bool) {
	if !p.validUTF8(line, rec) {
		return e, false
	}
	if len(rec) != len(p.header) {
		p.probs.add(line, "the line has %d fields, the header %d", len(rec), len(p.header))
		return e, false
	}
	f := &rowCheck{p: p, line: line, rec: rec, ok: true}
	e.Line = line
	e.ExternalID = f.get(p.id, MaxExternalIDLen, true)
	last := f.get(p.last, MaxNamePartLen, true)
	first := f.get(p.first, MaxNamePartLen, false)
	e.Org = cleanText(f.get(p.org, MaxOrgLen, false))
	email := f.get(p.email, MaxEmailLen, true)
	status := strings.ToLower(f.get(p.status, MaxStatusLen, p.status.index >= 0))
	if !f.ok {
		return e, false
	}
	e.Name = cleanText(first + " " + last)
	f.setEmail(&e, email)
	f.setStatus(&e, status)
	e.Role = p.m.Role
	e.Kind = p.m.Kind
	f.uniqueID(&e)
	return e, f.ok
}

// rowCheck checks the fields of one row of a flow; ok turns false with
// the first problem, which is recorded on the row's line.
type rowCheck struct {
	p    *parser
	line int
	rec  []string
	ok   bool
}

// bad records a problem of the row.
func (f *rowCheck) bad(format string, args ...any) {
	f.ok = false
	f.p.probs.add(f.line, format, args...)
}

// get returns the field of column c, trimmed, or "" for a column not
// mapped; a required field left empty, one longer than max bytes or one
// holding a control character is a problem.
func (f *rowCheck) get(c column, max int, required bool) string {
	if c.index < 0 {
		return ""
	}
	v := strings.TrimSpace(f.rec[c.index])
	switch {
	case required && v == "":
		f.bad("the field %q is empty", c.name)
	case len(v) > max:
		f.bad("the field %q is longer than %d bytes", c.name, max)
	case strings.ContainsFunc(v, badRune):
		f.bad("the field %q holds a control or invisible character", c.name)
	}
	return v
}

// setEmail sets e's e-mail, normalized from email, which must be valid and
// not that of an earlier row.
func (f *rowCheck) setEmail(e *Entry, email string) {
	e.Email = navette.NormalizeEmail(email)
	if account.ValidateEmail(e.Email) != nil {
		f.bad("%q is not a valid e-mail address", email)
	} else if prev, dup := f.p.emails[e.Email]; dup {
		f.bad("the e-mail %s is also on line %d", e.Email, prev)
	} else {
		f.p.emails[e.Email] = f.line
	}
}

// setStatus sets e's status and whether it is active: always without a
// status column, else if status is one of the active ones; an unknown
// status is a problem.
func (f *rowCheck) setStatus(e *Entry, status string) {
	e.Status = status
	if f.p.status.index < 0 {
		e.Active = true
	} else if !f.p.known[statusKey(status)] {
		f.bad("the status %q is unknown (known: %s)", status, strings.Join(slices.Sorted(maps.Keys(f.p.known)), ", "))
	} else {
		e.Active = f.p.active[statusKey(status)]
	}
}

// uniqueID records a problem if e's external id is that of an earlier row.
func (f *rowCheck) uniqueID(e *Entry) {
	if prev, dup := f.p.ids[e.ExternalID]; dup {
		f.bad("the %s %s is also on line %d", f.p.id.name, e.ExternalID, prev)
	} else {
		f.p.ids[e.ExternalID] = f.line
	}
}

// badUTF8 returns the index of the first byte of s that is not UTF-8.
func badUTF8(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return 0
}

// badRune reports whether r may not appear in a name, an organisation, an
// id, an e-mail or a status: control characters, invisible formatting
// characters (such as direction overrides and byte-order marks) and the
// replacement character, a sign of a botched conversion.
func badRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return r < 0xa0 || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}

// cleanText returns s in Unicode normal form C with its runs of spaces made
// one space, so that a flow's spelling of a name does not change with the
// tool that wrote it.
func cleanText(s string) string {
	return norm.NFC.String(strings.Join(strings.Fields(s), " "))
}
