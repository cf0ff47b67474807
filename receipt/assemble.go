package receipt

import (
	"bytes"
	"crypto/sha256"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Pieces are what the server holds to make a receipt.
type Pieces struct {
	ID       string
	Kind     string
	IssuedAt time.Time
	Event    Event // Event.Index is the event's leaf index
	// Claims is the claims document's exact bytes (as NewClaims returned
	// them), or nil to make a receipt that does not disclose them.
	Claims     []byte
	Proof      tlog.RecordProof // tlog.ProveRecord(TreeSize, Event.Index, …)
	TreeSize   int64
	Checkpoint []byte // the signed note of the tree of TreeSize leaves
	Timestamp  []byte // DER RFC 3161 TimeStampToken over SHA-256(Checkpoint), or nil
}

// Assemble builds a receipt from its pieces and checks that they fit
// together (all but the signatures, which need the verifier keys: run
// Verify for those): the claims are those the event commits to, the
// checkpoint's body is of a tree of TreeSize leaves, and the proof leads
// from the event's leaf to its root.
func Assemble(p Pieces) (*Receipt, error) {
	r := newReceipt(p)
	if err := r.checkForm(); err != nil {
		return nil, err
	}
	if err := checkCommitment(p.Claims, &p.Event); err != nil {
		return nil, err
	}
	root, err := treeRoot(p.Checkpoint, p.TreeSize)
	if err != nil {
		return nil, err
	}
	if err := tlog.CheckRecord(p.Proof, p.TreeSize, root, p.Event.Index, LeafHash(&r.Event)); err != nil {
		return nil, failf("the inclusion proof does not lead from the event to the checkpoint's root", "la preuve d'inclusion ne mène pas de l'événement à la racine du point de contrôle")
	}
	return r, nil
}

// newReceipt returns the receipt made of the pieces, unchecked.
func newReceipt(p Pieces) *Receipt {
	r := &Receipt{
		Format:     Format,
		ID:         p.ID,
		Kind:       p.Kind,
		DepositID:  p.Event.DepositID,
		IssuedAt:   Time{p.IssuedAt.UTC().Truncate(time.Microsecond)},
		Event:      p.Event,
		Claims:     string(p.Claims),
		Inclusion:  Inclusion{TreeSize: p.TreeSize, Hashes: make([]Base64, len(p.Proof))},
		Checkpoint: string(p.Checkpoint),
		Timestamp:  Base64(p.Timestamp),
		TimeSource: TimeSourceServer,
	}
	r.Event.Time = Time{p.Event.Time.UTC().Truncate(time.Microsecond)}
	if len(p.Timestamp) != 0 {
		r.TimeSource = TimeSourceTSA
	}
	for i, h := range p.Proof {
		r.Inclusion.Hashes[i] = Base64(bytes.Clone(h[:]))
	}
	return r
}

// checkCommitment checks that the claims, when there are any, are those
// the event commits to.
func checkCommitment(claims []byte, e *Event) error {
	if len(claims) == 0 {
		return nil
	}
	sum := sha256.Sum256(claims)
	if !bytes.Equal(sum[:], e.ClaimsSHA256) {
		return failf("the claims are not those the event commits to", "les données détaillées ne sont pas celles que l'événement engage")
	}
	return nil
}

// treeRoot returns the root hash in a signed checkpoint's body after
// checking that it is of a tree of treeSize leaves.
func treeRoot(checkpoint []byte, treeSize int64) (tlog.Hash, error) {
	text, _, _ := strings.Cut(string(checkpoint), "\n\n")
	lines := strings.Split(text, "\n")
	if len(lines) != 3 || lines[1] != strconv.FormatInt(treeSize, 10) {
		return tlog.Hash{}, failf("the checkpoint is not of a tree of %d events", "le point de contrôle ne porte pas sur un arbre de %d événements", treeSize)
	}
	return decodeRoot(lines[2])
}
