package deposit

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"navette"
	"navette/safename"
)

// Bundle is every available file of a case a person may download, ready
// to be written as one ZIP archive (WriteTo). Its deposits are read a page
// at a time (bundlePage) as the archive is written, so that a case of any
// size is sent whole with little memory.
type Bundle struct {
	Case  *Case
	s     *Service
	actor *navette.User
	at    time.Time
	// page holds the entries of the page read last, not yet written;
	// after, afterID the cursor of the next page; done that there is none.
	page    []BundleEntry
	after   time.Time
	afterID string
	done    bool
}

// BundleEntry is a file of a bundle: where it goes in the archive, and the
// deposit it comes from.
type BundleEntry struct {
	Path      string // DATE REFERENCE (DEPOSIT)/NAME
	Deposit   *View
	Direction string // sent or received, for the person
	dl        *Download
}

// Manifest names of a bundle, at the root of the archive.
const (
	ManifestCSV  = "manifeste.csv"
	ManifestJSON = "manifeste.json"
)

// bundlePage is how many deposits of a case a bundle reads at a time.
var bundlePage = 100

// CaseBundle prepares the archive of every available file of the deposits
// of case id that actor may see, laid out by deposit (oldest first, then
// by id), each deposit in a folder "YYYY-MM-DD REFERENCE (ID)". The files
// of the deposits up to the first with one are opened now, so that a case
// with nothing to send is an error, not an empty archive. Returns
// ENOTFOUND as Case does, EGONE if no file of the case is available any
// more.
func (s *Service) CaseBundle(ctx context.Context, actor *navette.User, id string) (*Bundle, error) {
	c, err := s.Case(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Case: c, s: s, actor: actor, at: s.Clock.Now()}
	for len(b.page) == 0 && !b.done {
		if err := b.readPage(ctx); err != nil {
			return nil, err
		}
	}
	if len(b.page) == 0 {
		return nil, navette.Errorf(navette.EGONE, "No file of this case is available any more.")
	}
	return b, nil
}

// readPage reads the next page of the case's deposits, oldest first, and
// opens the files of those still available into b.page.
func (b *Bundle) readPage(ctx context.Context) error {
	s := b.s
	recs, err := s.cases().CaseDeposits(ctx, navette.CaseFilter{UserID: b.actor.ID, CaseID: b.Case.ID, Oldest: true,
		After: b.after, AfterID: b.afterID, Limit: bundlePage})
	if err != nil {
		return err
	}
	b.advance(recs)
	cases, err := s.caseViews(ctx, b.actor, recs, true)
	if err != nil || len(cases) == 0 {
		return err
	}
	return b.openAvailable(ctx, cases[0].Deposits)
}

// advance moves b past recs, a page of the case's deposits, and marks it
// done when recs is the last page.
func (b *Bundle) advance(recs []navette.CaseDeposit) {
	if len(recs) < bundlePage {
		b.done = true
	}
	if len(recs) > 0 {
		last := recs[len(recs)-1].Deposit
		b.after, b.afterID = last.CreatedAt, last.ID
	}
}

// openAvailable opens into b.page the files of the deposits of vs that
// are still available.
func (b *Bundle) openAvailable(ctx context.Context, vs []*View) error {
	now := b.s.Clock.Now()
	for _, v := range vs {
		if v.State != navette.DepositAvailable || Expired(v.DepositRecord, now) {
			continue
		}
		if err := b.open(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// open adds the available files of deposit v to b.page.
func (b *Bundle) open(ctx context.Context, v *View) error {
	dir := v.CreatedAt.UTC().Format("2006-01-02") + " " + safename.Cut(v.Reference, "", 80) + " (" + v.ID[:8] + ")"
	var names safename.Set
	for _, f := range v.Files {
		if f.State != navette.FileAvailable {
			continue
		}
		dl, err := b.s.OpenFile(ctx, b.actor, v.ID, f.ID)
		if navette.IsCode(err, navette.EGONE) || navette.IsCode(err, navette.ECONFLICT) {
			continue // ended or withdrawn since
		} else if err != nil {
			return err
		}
		b.page = append(b.page, BundleEntry{Path: dir + "/" + names.Add(safename.Clean(dl.Name, "fichier")),
			Deposit: v, Direction: Direction(v, b.actor), dl: dl})
	}
	return nil
}

// Name is the archive's file name: the case's reference.
func (b *Bundle) Name() string {
	return safename.Cut(b.Case.Reference, "affaire-"+b.Case.ID[:8], 100) + ".zip"
}

// manifestEntry is a line of the manifest.
type manifestEntry struct {
	Path        string     `json:"path"`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"`
	DepositID   string     `json:"deposit_id"`
	Reference   string     `json:"reference"`
	Direction   string     `json:"direction"`
	Sender      string     `json:"sender"`
	SenderEmail string     `json:"sender_email"`
	CreatedAt   time.Time  `json:"created_at"`
	AvailableAt *time.Time `json:"available_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
}

// manifestLine returns the line of the manifest of e.
func manifestLine(e BundleEntry) manifestEntry {
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	v := e.Deposit
	return manifestEntry{Path: e.Path, Size: e.dl.Size(), SHA256: hex.EncodeToString(e.dl.SHA256()),
		DepositID: v.ID, Reference: v.Reference, Direction: e.Direction, Sender: v.Sender.Name, SenderEmail: v.Sender.Email,
		CreatedAt: v.CreatedAt.UTC(), AvailableAt: opt(v.AvailableAt), ExpiresAt: opt(v.ExpiresAt)}
}

// WriteTo writes the bundle as a ZIP archive to w: the files, stored as
// they are, each read, checked and recorded as a download as any download
// is, page of deposits after page; then the manifest (CSV and JSON: each
// file's path, size, SHA-256, deposit, reference, direction, sender and
// dates). The archive is streamed: nothing of it is held in memory but a
// page of deposits and the manifest's lines. w should send on what it is
// given (httpfile.Flushing), so that a file counts as downloaded once its
// bytes all left. An error after the first byte leaves a cut archive: the
// caller must abort the transfer.
func (b *Bundle) WriteTo(ctx context.Context, w io.Writer) error {
	zw := zip.NewWriter(w)
	var m []manifestEntry
	for {
		for _, e := range b.page {
			if err := e.dl.WriteZipEntry(ctx, zw, e.Path, e.dl.File().StoredAt); err != nil {
				return err
			}
			m = append(m, manifestLine(e))
		}
		b.page = nil
		if b.done {
			break
		}
		if err := b.readPage(ctx); err != nil {
			return err
		}
	}
	if err := b.writeManifest(zw, m); err != nil {
		return err
	}
	return zw.Close()
}

// WriteZipEntry writes the whole file to zw as the stored (uncompressed)
// file name, modified at modified. Each write is flushed through the
// archive to the writer under it (httpfile.Flushing for an answer), so
// that the file counts as downloaded once all its bytes were passed on.
func (d *Download) WriteZipEntry(ctx context.Context, zw *zip.Writer, name string, modified time.Time) error {
	fh := &zip.FileHeader{Name: name, Method: zip.Store, Modified: modified}
	fh.UncompressedSize64 = uint64(d.Size())
	fw, err := zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	return d.WriteRange(ctx, flushed{fw, zw}, 0, d.Size())
}

// writeManifest writes the manifest m to the archive, as CSV and JSON.
func (b *Bundle) writeManifest(zw *zip.Writer, m []manifestEntry) error {
	var csvBuf bytes.Buffer
	cw := csv.NewWriter(&csvBuf)
	cw.Write([]string{"path", "size", "sha256", "deposit_id", "reference", "direction", "sender", "sender_email", "created_at", "available_at", "expires_at"})
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	for _, e := range m {
		cw.Write([]string{csvSafe(e.Path), strconv.FormatInt(e.Size, 10), e.SHA256, e.DepositID, csvSafe(e.Reference), e.Direction,
			csvSafe(e.Sender), csvSafe(e.SenderEmail), e.CreatedAt.Format(time.RFC3339), ts(e.AvailableAt), ts(e.ExpiresAt)})
	}
	cw.Flush()
	js, err := json.MarshalIndent(struct {
		Case        string          `json:"case"`
		Reference   string          `json:"reference"`
		GeneratedAt time.Time       `json:"generated_at"`
		Files       []manifestEntry `json:"files"`
	}{b.Case.ID, b.Case.Reference, b.at.UTC(), m}, "", "  ")
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "")
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{ManifestCSV, csvBuf.Bytes()}, {ManifestJSON, append(js, '\n')}} {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: b.at})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.data); err != nil {
			return err
		}
	}
	return nil
}

// flushed writes to a file of a ZIP archive and flushes the archive, so
// that a write succeeds only once its bytes were passed on.
type flushed struct {
	w  io.Writer
	zw *zip.Writer
}

func (f flushed) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		if err = f.zw.Flush(); err != nil {
			n = 0
		}
	}
	return n, err
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
