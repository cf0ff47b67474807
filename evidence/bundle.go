package evidence

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"navette"
)

// Bundle writes the evidence bundle of deposit id to w, for its sender or
// an auditor: a ZIP of every receipt of the deposit (JSON and PDF), the
// checkpoint they rest on, the journal's public keys and a README in
// French on how to verify them. The export is journaled
// (evidence.exported) before anything is written. Returns ENOTFOUND as
// List does, EFORBIDDEN for a recipient, EGONE once the proof retention
// ended.
func (s *Service) Bundle(ctx context.Context, actor *navette.User, id string, w io.Writer) error {
	a, err := s.access(ctx, actor, id)
	if err != nil {
		return err
	}
	if !a.all {
		return navette.Errorf(navette.EFORBIDDEN, "Only the sender and auditors may export the evidence bundle of a deposit.")
	}
	return s.bundle(ctx, a.d, actor.ID, "", w)
}

// OperatorBundle writes the evidence bundle of deposit id to w for the
// operator (navette admin evidence), journaled as an export by nobody with
// detail "operator". Returns ENOTFOUND if there is no such deposit.
func (s *Service) OperatorBundle(ctx context.Context, id string, w io.Writer) error {
	if !navette.ValidID(id) {
		return notFound()
	}
	d, err := s.Meta.Deposit(ctx, id)
	if err != nil {
		return err
	}
	return s.bundle(ctx, d, "", "operator", w)
}

// bundled is a file of a bundle.
type bundled struct {
	name string
	data []byte
}

func (s *Service) bundle(ctx context.Context, d *navette.DepositRecord, actorID, by string, w io.Writer) error {
	now := s.Clock.Now()
	evs, err := s.liveReceiptEvents(ctx, d, now)
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		return navette.Errorf(navette.ECONFLICT, "This deposit has no receipt yet: it was never submitted.")
	}
	last := evs[0].Leaf
	for _, e := range evs {
		last = max(last, e.Leaf)
	}
	cp, err := s.Checkpoints.CheckpointFor(ctx, last)
	if err != nil {
		return err
	}
	files, err := s.receiptFiles(ctx, d, evs, cp)
	if err != nil {
		return err
	}
	keys := strings.Join(s.Verifiers(), "\n") + "\n"
	cpName := "points-de-controle/arbre-" + strconv.FormatInt(cp.Size, 10) + ".txt"
	files = append([]bundled{
		{"LISEZMOI.txt", []byte(readme(d, len(evs), cp, cpName, files[0].name, now))},
		{"cles-publiques.txt", []byte(keys)},
		{cpName, cp.Note},
	}, files...)
	if len(cp.Token) > 0 {
		files = append(files, bundled{strings.TrimSuffix(cpName, ".txt") + ".tsr", cp.Token})
	}

	ev := navette.Event{Time: now, Type: navette.EventEvidenceExported, ActorID: actorID, DepositID: d.ID,
		Detail: strings.TrimSpace(strconv.Itoa(len(evs)) + " " + by)}
	if err := s.Meta.AppendEvents(ctx, ev); err != nil {
		return err
	}
	return writeZip(w, files, now)
}

// receiptFiles returns the receipts of the events evs of deposit d, resting
// on checkpoint cp, in JSON and PDF, named in order.
func (s *Service) receiptFiles(ctx context.Context, d *navette.DepositRecord, evs []navette.Event, cp *navette.Checkpoint) ([]bundled, error) {
	var files []bundled
	for i := range evs {
		e := &evs[i]
		r, err := s.assemble(ctx, d, e, true, cp)
		if err != nil {
			return nil, err
		}
		js, err := r.Marshal()
		if err != nil {
			return nil, navette.WrapError(navette.EINTERNAL, err, "")
		}
		pdf, err := s.renderPDF(ctx, r, js)
		if err != nil {
			return nil, err
		}
		base := fmt.Sprintf("recus/%02d-%s-%d", i+1, kindName[e.Type.ProofKind()], e.Leaf)
		files = append(files, bundled{base + ".json", js}, bundled{base + ".pdf", pdf})
	}
	return files, nil
}

// writeZip writes files to w as a ZIP, each deflated and dated now.
func writeZip(w io.Writer, files []bundled, now time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// readme is the bundle's LISEZMOI.txt.
func readme(d *navette.DepositRecord, n int, cp *navette.Checkpoint, cpName, example string, now time.Time) string {
	var b strings.Builder
	paris, _ := time.LoadLocation("Europe/Paris")
	fmt.Fprintf(&b, `DOSSIER DE PREUVES DU DÉPÔT %s
Exporté le %s (heure de Paris).

Ce dossier contient les %d reçus du dépôt, chacun en deux formes :
  - un document JSON (.json, type application/vnd.navette.receipt+json),
    qui se vérifie sans le serveur : c'est lui qui fait preuve ;
  - une attestation PDF (.pdf), sa version lisible, qui porte le même
    JSON en pièce jointe.

Chaque reçu contient l'événement du journal qu'il atteste, les données
détaillées de cet événement (référence du dossier, fichiers et empreintes
SHA-256, personnes), la preuve que l'événement figure dans l'arbre de
Merkle du journal, et un point de contrôle de cet arbre signé par le
serveur (Ed25519)%s.

Fichiers :
  LISEZMOI.txt           ce texte
  cles-publiques.txt     les clés publiques du journal, actuelles et passées
  %s
                         le point de contrôle signé sur lequel reposent les
                         reçus (arbre de %d événements)%s
  recus/                 les reçus, dans l'ordre des événements

VÉRIFIER UN REÇU

Avec navette, hors ligne, sans accès au serveur :

  navette verify --key cles-publiques.txt %s

La commande dit en clair ce que le reçu prouve et sort avec le code 0 s'il
est valide, 1 sinon, en donnant la raison. Ajoutez --lang en pour l'anglais.

Sans navette : la documentation docs/proofs.md de navette décrit
l'algorithme de vérification (quelques étapes : signature du point de
contrôle, preuve d'inclusion RFC 6962, empreinte des données détaillées,
jeton d'horodatage RFC 3161) et donne des vecteurs de test, pour que
chacun puisse écrire son propre vérificateur.

Vérifiez aussi que les clés de cles-publiques.txt sont bien celles que
publie le service (adresse /api/v1/journal/keys), par un autre canal que
ce dossier.
`, d.ID, now.In(paris).Format("02/01/2006 à 15:04:05"), n, timeNote(cp), cpName, cp.Size, tokenNote(cp, cpName), example)
	return b.String()
}

func timeNote(cp *navette.Checkpoint) string {
	if len(cp.Token) > 0 {
		return ",\nhorodaté par une autorité d'horodatage (RFC 3161, jeton dans le reçu)"
	}
	return ".\nLes dates sont celles de l'horloge du serveur : aucune autorité\nd'horodatage ne les confirme"
}

func tokenNote(cp *navette.Checkpoint, cpName string) string {
	if len(cp.Token) == 0 {
		return ""
	}
	return "\n  " + strings.TrimSuffix(cpName, ".txt") + ".tsr\n                         son jeton d'horodatage RFC 3161 (DER)"
}
