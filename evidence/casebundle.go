package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"navette"
)

// CaseDeposit is a deposit of a case's evidence, as its manifest lists it.
type CaseDeposit struct {
	Deposit     string     `json:"deposit"`
	Sender      string     `json:"sender"`
	FromSpace   string     `json:"from_space,omitempty"`
	State       string     `json:"state"`
	CreatedAt   time.Time  `json:"created_at"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	// Bundle is the path in the ZIP of the deposit's evidence bundle, with
	// its size and SHA-256; empty when it has none, and Absent says why.
	Bundle string `json:"bundle,omitempty"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Absent string `json:"absent,omitempty"`
}

// CaseManifest is the manifeste.json of a case's evidence.
type CaseManifest struct {
	Case       string        `json:"case"`
	ExportedAt time.Time     `json:"exported_at"`
	Deposits   []CaseDeposit `json:"deposits"`
}

// Why a deposit of a case has no evidence bundle in the case's.
const (
	absentNoReceipt = "no_receipt"  // never submitted
	absentEnded     = "proof_ended" // its proof retention ended
)

// CaseBundle writes to w, for an auditor, the evidence of the whole case
// caseID: one ZIP streamed as it is made, holding the evidence bundle of
// each deposit of the case (the ZIP Bundle makes, as
// depots/YYYY-MM-DD-DEPOSITID.zip, oldest first), a manifest of them
// (manifeste.csv and manifeste.json: deposit, sender, mailbox sent from,
// state, dates, the path, size and SHA-256 of its bundle, or why it has
// none) and a LISEZMOI.txt. Each deposit's export is journaled as Bundle
// journals it, with detail "N case:CASEID". Returns EFORBIDDEN unless actor
// is an auditor, ENOTFOUND for a case that does not exist.
func (s *Service) CaseBundle(ctx context.Context, actor *navette.User, caseID string, w io.Writer) error {
	if actor == nil {
		return navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	if !Auditor(actor.Role) {
		return navette.Errorf(navette.EFORBIDDEN, "The evidence of a whole case is for auditors.")
	}
	cs, ok := s.Meta.(navette.CaseStore)
	if !ok || !navette.ValidID(caseID) {
		return navette.Errorf(navette.ENOTFOUND, "No such case.")
	}
	ids, err := cs.CaseDepositIDs(ctx, caseID)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return navette.Errorf(navette.ENOTFOUND, "No such case.")
	}
	return s.caseBundle(ctx, actor, caseID, ids, w)
}

// DepositCaseBundle is CaseBundle for the case of deposit depositID: how
// an auditor, who finds deposits rather than cases, asks for a case's
// evidence. Returns ENOTFOUND for an unknown deposit or one in no case.
func (s *Service) DepositCaseBundle(ctx context.Context, actor *navette.User, depositID string, w io.Writer) error {
	if actor == nil {
		return navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	if !Auditor(actor.Role) {
		return navette.Errorf(navette.EFORBIDDEN, "The evidence of a whole case is for auditors.")
	}
	id, err := s.CaseOf(ctx, actor, depositID)
	if err != nil {
		return err
	}
	return s.CaseBundle(ctx, actor, id, w)
}

// CaseOf returns, for an auditor, the id of the case of deposit depositID.
// Returns ENOTFOUND for an unknown deposit or one in no case, EFORBIDDEN
// for anyone but an auditor.
func (s *Service) CaseOf(ctx context.Context, actor *navette.User, depositID string) (string, error) {
	if actor == nil || !Auditor(actor.Role) {
		return "", navette.Errorf(navette.EFORBIDDEN, "The cases of deposits are shown to auditors only.")
	}
	cs, ok := s.Meta.(navette.CaseStore)
	if !ok || !navette.ValidID(depositID) {
		return "", navette.Errorf(navette.ENOTFOUND, "This deposit belongs to no case.")
	}
	id, err := cs.CaseOf(ctx, depositID)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return "", navette.Errorf(navette.ENOTFOUND, "This deposit belongs to no case.")
	}
	return id, err
}

// caseBundle writes the ZIP of CaseBundle for the deposits ids of case
// caseID.
func (s *Service) caseBundle(ctx context.Context, actor *navette.User, caseID string, ids []string, w io.Writer) error {
	now := s.Clock.Now()
	man := &CaseManifest{Case: caseID, ExportedAt: now.UTC(), Deposits: []CaseDeposit{}}
	zw := zip.NewWriter(w)
	if err := zipFile(zw, "LISEZMOI.txt", []byte(caseReadme(caseID, len(ids), now)), now); err != nil {
		return err
	}
	for _, id := range ids {
		cd, err := s.caseDeposit(ctx, zw, actor, caseID, id, now)
		if err != nil {
			return err
		}
		man.Deposits = append(man.Deposits, *cd)
	}
	js, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "")
	}
	if err := zipFile(zw, "manifeste.json", append(js, '\n'), now); err != nil {
		return err
	}
	if err := zipFile(zw, "manifeste.csv", caseCSV(man), now); err != nil {
		return err
	}
	return zw.Close()
}

// caseDeposit adds the evidence bundle of deposit id to zw, if it has
// one, and returns its line of the manifest.
func (s *Service) caseDeposit(ctx context.Context, zw *zip.Writer, actor *navette.User, caseID, id string, now time.Time) (*CaseDeposit, error) {
	d, err := s.Meta.Deposit(ctx, id)
	if err != nil {
		return nil, err
	}
	cd, err := s.caseManifestLine(ctx, d)
	if err != nil {
		return nil, err
	}
	if err := s.addCaseBundle(ctx, zw, actor, caseID, d, now, cd); err != nil {
		return nil, err
	}
	return cd, nil
}

// caseManifestLine returns the line of the case manifest that describes
// deposit d, without its bundle.
func (s *Service) caseManifestLine(ctx context.Context, d *navette.DepositRecord) (*CaseDeposit, error) {
	cd := &CaseDeposit{Deposit: d.ID, State: string(d.State), CreatedAt: d.CreatedAt.UTC()}
	if !d.SubmittedAt.IsZero() {
		t := d.SubmittedAt.UTC()
		cd.SubmittedAt = &t
	}
	var err error
	if cd.Sender, err = s.email(ctx, d.SenderID); err != nil {
		return nil, err
	}
	if d.FromSpaceID != "" {
		if cd.FromSpace, err = s.email(ctx, d.FromSpaceID); err != nil {
			return nil, err
		}
	}
	return cd, nil
}

// addCaseBundle adds the evidence bundle of deposit d to zw, if it has
// one, and records in cd its path, size and SHA-256, or why it has none.
func (s *Service) addCaseBundle(ctx context.Context, zw *zip.Writer, actor *navette.User, caseID string, d *navette.DepositRecord, now time.Time, cd *CaseDeposit) error {
	name := "depots/" + d.CreatedAt.UTC().Format("2006-01-02") + "-" + d.ID + ".zip"
	e := &lazyEntry{zw: zw, name: name, modified: now, sum: sha256.New()}
	err := s.bundle(ctx, d, actor.ID, "case:"+caseID, e)
	switch {
	case err != nil && e.w != nil:
		return err // cut short once written: the stream is broken
	case navette.IsCode(err, navette.ECONFLICT):
		cd.Absent = absentNoReceipt
	case navette.IsCode(err, navette.EGONE):
		cd.Absent = absentEnded
	case err != nil:
		return err
	default:
		cd.Bundle, cd.Size, cd.SHA256 = name, e.n, hex.EncodeToString(e.sum.Sum(nil))
	}
	return nil
}

// email returns the e-mail address of user id.
func (s *Service) email(ctx context.Context, id string) (string, error) {
	u, err := s.Meta.User(ctx, id)
	if err != nil {
		return "", err
	}
	return u.Email, nil
}

// lazyEntry is an entry of a ZIP created at its first write, so that a
// bundle that fails before writing leaves none; it counts and hashes what
// goes through.
type lazyEntry struct {
	zw       *zip.Writer
	name     string
	modified time.Time
	w        io.Writer
	sum      hash.Hash
	n        int64
}

func (e *lazyEntry) Write(p []byte) (int, error) {
	if e.w == nil {
		w, err := e.zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Store, Modified: e.modified})
		if err != nil {
			return 0, err
		}
		e.w = w
	}
	e.sum.Write(p)
	e.n += int64(len(p))
	return e.w.Write(p)
}

// zipFile adds a file of data to zw.
func zipFile(zw *zip.Writer, name string, data []byte, at time.Time) error {
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: at})
	if err != nil {
		return err
	}
	_, err = fw.Write(data)
	return err
}

// caseCSV is the manifeste.csv of man.
func caseCSV(man *CaseManifest) []byte {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{"deposit", "sender", "from_space", "state", "created_at", "submitted_at", "bundle", "size", "sha256", "absent"})
	for _, d := range man.Deposits {
		sub, size := "", ""
		if d.SubmittedAt != nil {
			sub = d.SubmittedAt.Format(time.RFC3339)
		}
		if d.Bundle != "" {
			size = strconv.FormatInt(d.Size, 10)
		}
		_ = cw.Write([]string{d.Deposit, csvSafe(d.Sender), csvSafe(d.FromSpace), d.State, d.CreatedAt.Format(time.RFC3339), sub, d.Bundle, size, d.SHA256, d.Absent})
	}
	cw.Flush()
	return b.Bytes()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// caseReadme is the LISEZMOI.txt of a case's evidence.
func caseReadme(caseID string, n int, now time.Time) string {
	paris, _ := time.LoadLocation("Europe/Paris")
	return fmt.Sprintf(`PREUVES DE L'AFFAIRE %s
Exportées le %s (heure de Paris).

Ce dossier réunit les preuves des %d dépôts de l'affaire, du plus ancien au
plus récent :

  depots/AAAA-MM-JJ-DEPOT.zip   le dossier de preuves de chaque dépôt, tel
                                que l'export d'un dépôt le donne : ses reçus
                                (JSON et PDF), le point de contrôle signé du
                                journal et ses clés publiques, et un
                                LISEZMOI.txt qui explique comment les
                                vérifier hors ligne (navette verify) ;
  manifeste.csv, manifeste.json la liste des dépôts : expéditeur, boîte de
                                service d'envoi, état, dates, et pour chacun
                                le chemin, la taille et l'empreinte SHA-256
                                de son dossier de preuves, ou pourquoi il
                                n'en a pas (no_receipt : jamais envoyé ;
                                proof_ended : durée de conservation des
                                preuves écoulée).

Chaque dossier de preuves se vérifie seul : décompressez-le, puis suivez
son LISEZMOI.txt. L'export est inscrit au journal pour chaque dépôt.
`, caseID, now.In(paris).Format("02/01/2006 15:04:05"), n)
}
