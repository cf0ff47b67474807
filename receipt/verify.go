package receipt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Options tune Verify.
type Options struct {
	// TSARoots are the certificates a time-stamp token's signer must chain
	// to. Without them, the token's signature is checked against the
	// certificate it embeds, and the result says the TSA was not checked
	// against a trusted root.
	TSARoots *x509.CertPool
}

// Result is what a valid receipt proves, with all a reader needs to see.
type Result struct {
	ReceiptID string // the server's label for the receipt (not covered by any proof)
	Kind      string
	Event     Event     // the event, as proven by the inclusion proof
	Time      time.Time // the event's time, UTC, from the server's clock
	// Claims is the claims document, proven by its SHA-256 in the event;
	// nil when the receipt does not disclose it (Redacted).
	Claims   *Claims
	Redacted bool // the event commits to claims the receipt does not disclose

	Origin   string    // the journal's name (checkpoint origin)
	TreeSize int64     // the signed tree holds this many events
	Root     tlog.Hash // its root hash
	Key      *Key      // the verifier key that signed the checkpoint

	// TimeSource is TimeSourceTSA when an RFC 3161 token dates the
	// checkpoint (TSA), TimeSourceServer otherwise.
	TimeSource string
	TSA        *TSAResult

	// PDF is set by the caller that read the receipt from the PDF it is
	// attached to, whose pages no proof covers: Text then says so.
	PDF bool
}

// Verify checks a receipt with the given verifier keys (in verifier key
// form, one per string) and returns what it proves: that the checkpoint is a
// signed note, by one of the keys, of a tree whose origin is the key's name
// and whose size is the proof's; that the event's leaf is in that tree at
// its index; that the disclosed claims are those the event commits to and
// agree with the event; and that the time-stamp token, if any, is a valid
// RFC 3161 token over the checkpoint. Any failure is a *Failure naming the
// first check that did not hold.
func Verify(r *Receipt, keys []string, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{}
	}
	if r.Format != Format {
		return nil, failf("unknown receipt format %q (expected %q)", "format de reçu inconnu %q (attendu : %q)", r.Format, Format)
	}
	if err := r.checkForm(); err != nil {
		return nil, err
	}
	known, err := keyList(keys)
	if err != nil {
		return nil, err
	}
	res := &Result{ReceiptID: r.ID, Kind: r.Kind, Event: r.Event, Time: r.Event.Time.UTC(), TimeSource: r.TimeSource}
	if err := res.checkInclusion(r, known); err != nil {
		return nil, err
	}
	if err := r.checkLabels(); err != nil {
		return nil, err
	}
	if err := res.checkClaims(r); err != nil {
		return nil, err
	}
	if err := res.checkTimestamp(r, opts.TSARoots); err != nil {
		return nil, err
	}
	return res, nil
}

// checkInclusion checks that the checkpoint is a note signed by a known key
// whose name is its origin, of the tree the proof is for, and that the
// event is the leaf at its index.
func (res *Result) checkInclusion(r *Receipt, known note.Verifiers) error {
	key, origin, size, root, err := openCheckpoint([]byte(r.Checkpoint), known)
	if err != nil {
		return err
	}
	res.Key, res.Origin, res.TreeSize, res.Root = key, origin, size, root
	if size != r.Inclusion.TreeSize {
		return failf("the checkpoint is of a tree of %d events, the inclusion proof of a tree of %d", "le point de contrôle porte sur un arbre de %d événements, la preuve d'inclusion sur un arbre de %d", size, r.Inclusion.TreeSize)
	}
	proof := make(tlog.RecordProof, len(r.Inclusion.Hashes))
	for i, h := range r.Inclusion.Hashes {
		copy(proof[i][:], h)
	}
	if err := tlog.CheckRecord(proof, size, root, r.Event.Index, LeafHash(&r.Event)); err != nil {
		return failf("the event is not in the signed journal at index %d: the inclusion proof does not lead to the checkpoint's root hash", "l'événement ne figure pas dans le journal signé à l'index %d : la preuve d'inclusion ne mène pas à l'empreinte racine du point de contrôle", r.Event.Index)
	}
	return nil
}

// checkLabels checks that the receipt's kind and deposit agree with the
// proven event.
func (r *Receipt) checkLabels() error {
	if t := kindEvents[r.Kind]; t != r.Event.Type {
		return failf("a receipt of kind %q cannot rest on an event of type %q", "un reçu de type %q ne peut reposer sur un événement de type %q", r.Kind, r.Event.Type)
	}
	if r.DepositID != r.Event.DepositID {
		return failf("the receipt's deposit %q is not the event's (%q)", "le dépôt du reçu %q n'est pas celui de l'événement (%q)", r.DepositID, r.Event.DepositID)
	}
	return r.checkAttested()
}

// checkAttested refuses a receipt whose event, though of its kind's type,
// is not what the kind attests, and so never had a receipt (docs/proofs.md
// section 6): a notice that told no recipient of the deposit (to the
// sender, of a withdrawal…) as the deposit's notice, or an expiry without
// claims, when every recipient had fetched every file, as a deposit not
// fetched.
func (r *Receipt) checkAttested() error {
	e := &r.Event
	switch kind, _, _ := strings.Cut(e.Detail, " "); {
	case r.Kind == "notified" && kind != "deposit" && kind != "reminder":
		return failf("a receipt of kind \"notified\" rests on the notice of a deposit or a reminder to its recipient; this event is a notice of kind %q",
			"un reçu de type « notified » repose sur l'avis d'un dépôt ou sur un rappel à son destinataire ; cet événement est un avis de type %q", clip(kind))
	case r.Kind == "unclaimed" && len(e.ClaimsSHA256) == 0:
		return failf("a receipt of kind \"unclaimed\" rests on an expiry that commits to claims saying who did not fetch what; this one commits to none: every recipient had fetched every file",
			"un reçu de type « unclaimed » repose sur une expiration qui engage des données détaillées disant qui n'a pas retiré quoi ; celle-ci n'en engage aucune : chaque destinataire avait retiré chaque fichier")
	}
	return nil
}

// checkClaims checks that the claims, when disclosed, are those the event
// commits to, and agree with it.
func (res *Result) checkClaims(r *Receipt) error {
	if r.Claims == "" {
		res.Redacted = len(r.Event.ClaimsSHA256) != 0
		return nil
	}
	sum := sha256.Sum256([]byte(r.Claims))
	if !bytes.Equal(sum[:], r.Event.ClaimsSHA256) {
		return failf("the claims are not those the event commits to (their SHA-256 differs from event.claims_sha256)", "les données détaillées ne sont pas celles que l'événement engage (leur SHA-256 diffère de event.claims_sha256)")
	}
	c, err := ParseClaims([]byte(r.Claims))
	if err != nil {
		return err
	}
	if err := c.agree(r); err != nil {
		return err
	}
	res.Claims = c
	return nil
}

// checkTimestamp checks the time-stamp token, if any, over the
// checkpoint's exact bytes.
func (res *Result) checkTimestamp(r *Receipt, roots *x509.CertPool) error {
	if len(r.Timestamp) == 0 {
		return nil
	}
	tsa, err := VerifyToken(r.Timestamp, []byte(r.Checkpoint), roots)
	if err != nil {
		return err
	}
	res.TSA = tsa
	return nil
}

// keyList parses and de-duplicates verifier keys, given one a string,
// and applies the retirement lines among them (RetiredLine).
func keyList(keys []string) (note.Verifiers, error) {
	if len(keys) == 0 {
		return nil, failf("no verifier key given: the checkpoint's signature cannot be checked", "aucune clé de vérification fournie : la signature du point de contrôle ne peut être vérifiée")
	}
	if len(keys) > 2*maxKeys {
		return nil, failf("more than %d keys", "plus de %d clés", maxKeys)
	}
	seen := map[string]bool{}
	var ks []*Key
	var retired []string
	for _, s := range keys {
		s = strings.TrimSpace(s)
		if meantRetired(s) {
			retired = append(retired, s)
			continue
		}
		k, err := ParseKey(s)
		if err != nil {
			return nil, err
		}
		if !seen[k.text] {
			seen[k.text] = true
			ks = append(ks, k)
		}
	}
	if len(ks) > maxKeys {
		return nil, failf("more than %d keys", "plus de %d clés", maxKeys)
	}
	if err := applyRetired(ks, retired); err != nil {
		return nil, err
	}
	vs := make([]note.Verifier, len(ks))
	for i, k := range ks {
		vs[i] = k
	}
	return note.VerifierList(vs...), nil
}

// openCheckpoint opens a signed checkpoint note and reads its body, the
// C2SP tlog-checkpoint "<origin>\n<size>\n<base64 root>\n".
func openCheckpoint(msg []byte, known note.Verifiers) (*Key, string, int64, tlog.Hash, error) {
	n, err := openNote(msg, known)
	if err != nil {
		return nil, "", 0, tlog.Hash{}, err
	}
	origin, size, root, err := checkpointBody(n.Text)
	if err != nil {
		return nil, "", 0, tlog.Hash{}, err
	}
	key, err := originKey(n, known, origin, size)
	if err != nil {
		return nil, "", 0, tlog.Hash{}, err
	}
	return key, origin, size, root, nil
}

// openNote opens a signed note with the known keys, naming the reason it
// does not open.
func openNote(msg []byte, known note.Verifiers) (*note.Note, error) {
	n, err := note.Open(msg, known)
	if err == nil {
		return n, CheckSignatureLines(msg, known)
	}
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return nil, failf("the checkpoint is not signed by any of the given keys", "le point de contrôle n'est signé par aucune des clés fournies")
	case errors.As(err, &invalid):
		return nil, failf("the checkpoint's signature by key %s+%08x is invalid", "la signature du point de contrôle par la clé %s+%08x est invalide", invalid.Name, invalid.Hash)
	}
	return nil, failf("the checkpoint is not a well-formed signed note", "le point de contrôle n'est pas une note signée bien formée")
}

// CheckSignatureLines checks every signature line of the note msg, which
// note.Open opened with known, as docs/proofs.md section 8 says and
// note.Open does not: each must be a key hash and an Ed25519 signature (4 + 64 bytes) in
// canonical base64, and each by a known key must hold, a repeated one too
// (note.Open checks only the first signature of a key and ignores the
// others, so that a line added to a genuine checkpoint would verify).
func CheckSignatureLines(msg []byte, known note.Verifiers) error {
	split := bytes.LastIndex(msg, []byte("\n\n"))
	text, sigs := msg[:split+1], strings.TrimSuffix(string(msg[split+2:]), "\n")
	for _, line := range strings.Split(sigs, "\n") {
		name, b64, _ := strings.Cut(strings.TrimPrefix(line, "— "), " ")
		sig, err := base64.StdEncoding.Strict().DecodeString(b64)
		if err != nil || len(sig) != 4+ed25519.SignatureSize || base64.StdEncoding.EncodeToString(sig) != b64 {
			return failf("a signature of the checkpoint is not a key hash and an Ed25519 signature in canonical base64",
				"une signature du point de contrôle n'est pas une empreinte de clé suivie d'une signature Ed25519 en base64 canonique")
		}
		hash := binary.BigEndian.Uint32(sig)
		if v, err := known.Verifier(name, hash); err == nil && !v.Verify(text, sig[4:]) {
			return failf("the checkpoint's signature by key %s+%08x is invalid", "la signature du point de contrôle par la clé %s+%08x est invalide", name, hash)
		}
	}
	return nil
}

// checkpointBody reads a checkpoint's text: its origin, tree size and
// root hash, one a line.
func checkpointBody(text string) (origin string, size int64, root tlog.Hash, err error) {
	lines := strings.Split(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return "", 0, root, failf("the checkpoint is not origin, tree size and root hash", "le point de contrôle n'est pas formé de l'origine, de la taille et de l'empreinte racine")
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 1 || strconv.FormatInt(size, 10) != lines[1] {
		return "", 0, root, failf("the checkpoint's tree size %q is not a positive decimal number", "la taille d'arbre %q du point de contrôle n'est pas un nombre décimal positif", clip(lines[1]))
	}
	if root, err = decodeRoot(lines[2]); err != nil {
		return "", 0, root, err
	}
	return lines[0], size, root, nil
}

// decodeRoot decodes a checkpoint's root hash from its base64 line.
func decodeRoot(b64 string) (root tlog.Hash, err error) {
	rb, ok := decodeBase64(b64)
	if !ok || len(rb) != len(root) {
		return root, failf("the checkpoint's root hash is not 32 bytes in base64", "l'empreinte racine du point de contrôle n'est pas de 32 octets en base64")
	}
	copy(root[:], rb)
	return root, nil
}

// originKey returns the known key, named origin, that signed the note n,
// a checkpoint of a tree of size leaves, after checking that every
// signature is in canonical base64. A key retired when the journal was
// smaller cannot have signed it.
func originKey(n *note.Note, known note.Verifiers, origin string, size int64) (*Key, error) {
	var key, late *Key
	for _, s := range n.Sigs {
		sig, err := base64.StdEncoding.DecodeString(s.Base64)
		if err != nil || base64.StdEncoding.EncodeToString(sig) != s.Base64 {
			return nil, failf("a signature of the checkpoint is not in canonical base64", "une signature du point de contrôle n'est pas en base64 canonique")
		}
		v, _ := known.Verifier(s.Name, s.Hash)
		k, ok := v.(*Key)
		switch {
		case !ok || key != nil || s.Name != origin:
		case k.retired && size > k.retiredAt:
			late = k
		default:
			key = k
		}
	}
	switch {
	case key == nil && late != nil:
		return nil, failf("the checkpoint, of a tree of %d events, is signed by key %s+%08x, retired when the journal had %d events: that key cannot have signed it (a copy of a retired key)",
			"le point de contrôle, d'un arbre de %d événements, est signé par la clé %s+%08x, retirée quand le journal comptait %d événements : cette clé n'a pas pu le signer (copie d'une clé retirée)",
			size, clip(late.name), late.hash, late.retiredAt)
	case key == nil:
		return nil, failf("the checkpoint's origin %q is not the name of the key that signed it", "l'origine %q du point de contrôle n'est pas le nom de la clé qui l'a signé", clip(origin))
	}
	return key, nil
}

// agree checks that the claims match the receipt and its event.
func (c *Claims) agree(r *Receipt) error {
	e := &r.Event
	switch {
	case c.Kind != r.Kind:
		return mismatch("kind " + quote(c.Kind) + " ≠ " + quote(r.Kind))
	case c.Deposit != nil && c.Deposit.ID != e.DepositID:
		return mismatch("deposit " + quote(c.Deposit.ID) + " ≠ " + quote(e.DepositID))
	case c.By != nil && c.By.ID != "" && e.ActorID != "" && c.By.ID != e.ActorID:
		return mismatch("actor " + quote(c.By.ID) + " ≠ " + quote(e.ActorID))
	}
	if err := c.agreeFetched(); err != nil {
		return err
	}
	return c.agreeFile(e)
}

// agreeFetched checks that each recipient who fetched part of the files
// is said to have fetched, or not, each of the claims' files exactly once,
// and no other.
func (c *Claims) agreeFetched() error {
	for i := range c.PartlyFetchedBy {
		p := &c.PartlyFetchedBy[i]
		seen := map[string]bool{}
		for _, id := range slices.Concat(p.Fetched, p.NotFetched) {
			if seen[id] || !slices.ContainsFunc(c.Files, func(f File) bool { return f.ID == id }) {
				return mismatch("what " + quote(p.ID) + " fetched does not list the files made available")
			}
			seen[id] = true
		}
		if len(seen) != len(c.Files) {
			return mismatch("what " + quote(p.ID) + " fetched does not list the files made available")
		}
	}
	return nil
}

// agreeFile checks that the file the claims name, if any, is the event's,
// of its size and SHA-256.
func (c *Claims) agreeFile(e *Event) error {
	switch {
	case e.FileID == "" && c.File != nil:
		return mismatch("the claims name a file, the event none")
	case e.FileID == "":
		return nil
	}
	f, err := c.eventFile(e)
	if f == nil || err != nil {
		return err
	}
	if f.Size != e.Size {
		return mismatch("size " + strconv.FormatInt(f.Size, 10) + " ≠ " + strconv.FormatInt(e.Size, 10))
	}
	if len(e.SHA256) != 0 && !bytes.Equal(f.SHA256, e.SHA256) {
		return mismatch("the file's SHA-256 differs")
	}
	return nil
}

// eventFile returns the claims' file that is the event's: the one file
// the claims name, or the event's among their files; nil when the claims
// name no file.
func (c *Claims) eventFile(e *Event) (*File, error) {
	if c.File != nil {
		if c.File.ID != e.FileID {
			return nil, mismatch("file " + quote(c.File.ID) + " ≠ " + quote(e.FileID))
		}
		return c.File, nil
	}
	for i := range c.Files {
		if c.Files[i].ID == e.FileID {
			return &c.Files[i], nil
		}
	}
	if len(c.Files) > 0 {
		return nil, mismatch("the event's file " + quote(e.FileID) + " is not among the claims' files")
	}
	return nil, nil
}

// mismatch is agree's failure.
func mismatch(what string) error {
	return failf("the claims disagree with the event: %s", "les données détaillées contredisent l'événement : %s", what)
}
