// Package receipt is navette's proof of an event: the receipt document
// (JSON, media type application/vnd.navette.receipt+json), the claims
// document it discloses, and the offline verifier.
//
// A receipt holds one journal event, the claims document whose SHA-256 the
// event carries, an inclusion proof of the event's leaf in the journal's
// Merkle tree (RFC 6962, golang.org/x/mod/sumdb/tlog), the checkpoint of that
// tree signed as a C2SP signed note (Ed25519), and optionally an RFC 3161
// time-stamp token over the checkpoint. Verify checks all of it with no
// server and no database; docs/proofs.md describes the format so that anyone
// can write their own verifier.
//
// The package stands alone: it depends on neither the store, the server nor
// the package that builds the tree, and recomputes the leaf encoding
// itself (testdata/proof-vectors.json cross-checks the two). Package tsa
// checks the time-stamp token.
package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"navette/tsa"
)

// MediaType is the media type of a receipt document.
const MediaType = "application/vnd.navette.receipt+json"

// Format is the value of a receipt's "format" member; Parse refuses any other.
const Format = "navette-receipt/v1"

// Time sources named by a receipt's "time_source".
const (
	TimeSourceTSA    = "tsa"          // an RFC 3161 token dates the checkpoint
	TimeSourceServer = "server-clock" // only the server's clock dates the event
)

// Bounds Parse enforces on outside input.
const (
	MaxReceiptSize    = 1 << 20 // the whole JSON document
	MaxClaimsSize     = 512 << 10
	MaxCheckpointSize = 16 << 10         // the signed note, signatures included
	MaxTokenSize      = tsa.MaxTokenSize // the DER time-stamp token
	MaxProofHashes    = 63               // an inclusion proof in a tree of fewer than 2^63 leaves
	maxFieldSize      = 4 << 10          // any other string
)

// Kinds of receipt, the vocabulary of a receipt's and a claims document's
// "kind", each with the journal event type it may rest on.
var kindEvents = map[string]string{
	"deposited":  "deposit.submitted",
	"available":  "deposit.available",
	"notified":   "notice.sent",
	"opened":     "deposit.opened",
	"downloaded": "file.downloaded",
	"unclaimed":  "deposit.expired",
	"revoked":    "deposit.revoked",
	"extended":   "deposit.extended",
	"purged":     "deposit.purged",
}

// EventType returns the journal event type a receipt of the given kind rests
// on, and whether kind is known.
func EventType(kind string) (string, bool) {
	t, ok := kindEvents[kind]
	return t, ok
}

// Receipt is the receipt document. Its JSON form is the one Marshal writes
// and Parse reads; docs/proofs.md describes each member.
type Receipt struct {
	Format    string `json:"format"`
	ID        string `json:"id"`   // opaque label given by the server; not covered by any proof
	Kind      string `json:"kind"` // deposited, available, notified, opened, downloaded, unclaimed, revoked, purged
	DepositID string `json:"deposit_id"`
	IssuedAt  Time   `json:"issued_at"` // when the server assembled the receipt; not covered by any proof
	Event     Event  `json:"event"`
	// Claims is the exact text of the claims document, or empty when the
	// receipt does not disclose it (the event still commits to it by its
	// SHA-256).
	Claims     string    `json:"claims,omitempty"`
	Inclusion  Inclusion `json:"inclusion"`
	Checkpoint string    `json:"checkpoint"` // the signed note of the tree the proof leads to
	// Timestamp is a DER RFC 3161 TimeStampToken over SHA-256 of
	// Checkpoint, or empty.
	Timestamp  Base64 `json:"timestamp,omitzero"`
	TimeSource string `json:"time_source"`
}

// Event is the journal event a receipt rests on: exactly the fields of the
// Merkle leaf (LeafBytes), and its index in the tree.
type Event struct {
	Index        int64  `json:"index"`
	Time         Time   `json:"time"`
	Type         string `json:"type"`
	ActorID      string `json:"actor_id"`
	DepositID    string `json:"deposit_id"`
	FileID       string `json:"file_id"`
	Size         int64  `json:"size"`
	SHA256       Hex    `json:"sha256"`
	Detail       string `json:"detail"`
	ClaimsSHA256 Hex    `json:"claims_sha256"`
}

// Inclusion is the proof that the event's leaf is in the tree of TreeSize
// leaves: tlog.RecordProof's hashes, in order.
type Inclusion struct {
	TreeSize int64    `json:"tree_size"`
	Hashes   []Base64 `json:"hashes"`
}

// Time is a time in UTC written in RFC 3339 with exactly six fractional
// digits and "Z", as in 2026-12-05T13:08:44.123456Z; only that form is read.
type Time struct{ time.Time }

// TimeLayout is the only layout of a Time.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// MarshalJSON writes the time in UTC, to the microsecond.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(TimeLayout))
}

// UnmarshalJSON reads a time in TimeLayout, refusing any other spelling.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(TimeLayout, s)
	if err != nil || v.Format(TimeLayout) != s {
		return errors.New("not a time in the form 2006-01-02T15:04:05.000000Z")
	}
	t.Time = v
	return nil
}

// Hex is bytes written as lower-case hexadecimal; only that form is read.
type Hex []byte

// MarshalJSON writes the bytes in lower-case hex.
func (h Hex) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

// UnmarshalJSON reads lower-case hex.
func (h *Hex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil || hex.EncodeToString(v) != s {
		return errors.New("not lower-case hexadecimal")
	}
	*h = v
	return nil
}

// Base64 is bytes written in standard, padded base64; only the canonical
// form is read.
type Base64 []byte

// MarshalJSON writes the bytes in standard base64.
func (b Base64) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

// UnmarshalJSON reads canonical standard base64.
func (b *Base64) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	v, ok := decodeBase64(s)
	if !ok {
		return errors.New("not standard base64")
	}
	*b = v
	return nil
}

// decodeBase64 decodes canonical standard base64: strict decoding still
// skips CR and LF within the text, so the encoding read back must be s
// itself, or two texts would be one value.
func decodeBase64(s string) ([]byte, bool) {
	v, err := base64.StdEncoding.Strict().DecodeString(s)
	return v, err == nil && base64.StdEncoding.EncodeToString(v) == s
}

// IsZero reports whether there are no bytes (the member is then omitted).
func (b Base64) IsZero() bool { return len(b) == 0 }

// Marshal returns the receipt's JSON text: compact, with no HTML escaping,
// members in the documented order.
func (r *Receipt) Marshal() ([]byte, error) {
	return marshal(r)
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// members lists the members each object of a receipt must have (true) or
// may have (false); names are case-sensitive and appear once.
var (
	receiptMembers = map[string]bool{
		"format": true, "id": true, "kind": true, "deposit_id": true, "issued_at": true, "event": true,
		"claims": false, "inclusion": true, "checkpoint": true, "timestamp": false, "time_source": true,
	}
	eventMembers = map[string]bool{
		"index": true, "time": true, "type": true, "actor_id": true, "deposit_id": true, "file_id": true,
		"size": true, "sha256": true, "detail": true, "claims_sha256": true,
	}
	inclusionMembers = map[string]bool{"tree_size": true, "hashes": true}
)

// Parse reads a receipt document strictly: valid UTF-8 of at most
// MaxReceiptSize bytes, one JSON object with exactly the documented members
// (case-sensitive, none repeated, none unknown), format navette-receipt/v1,
// times, hex and base64 in their only accepted form, and every size within
// its bound. It checks the form only; Verify checks the proofs.
func Parse(data []byte) (*Receipt, error) {
	if len(data) > MaxReceiptSize {
		return nil, failf("the receipt is larger than %d bytes", "le reçu dépasse %d octets", MaxReceiptSize)
	}
	if !utf8.Valid(data) {
		return nil, failf("the receipt is not valid UTF-8", "le reçu n'est pas de l'UTF-8 valide")
	}
	if err := checkMembers(data); err != nil {
		return nil, err
	}
	if err := checkOmitted(data); err != nil {
		return nil, err
	}
	var r Receipt
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, failf("the receipt is not a valid receipt document: %v", "le reçu n'est pas un document de reçu valide : %v", err)
	}
	if r.Format != Format {
		return nil, failf("unknown receipt format %q (expected %q)", "format de reçu inconnu %q (attendu : %q)", r.Format, Format)
	}
	if err := r.checkForm(); err != nil {
		return nil, err
	}
	return &r, nil
}

// checkOmitted refuses claims or timestamp present but empty: they are
// omitted instead.
func checkOmitted(data []byte) error {
	var probe struct {
		Claims    *string `json:"claims"`
		Timestamp *string `json:"timestamp"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return failf("the receipt is not a valid receipt document: %v", "le reçu n'est pas un document de reçu valide : %v", err)
	}
	if probe.Claims != nil && *probe.Claims == "" || probe.Timestamp != nil && *probe.Timestamp == "" {
		return failf("claims or timestamp is present but empty (omit it instead)", "claims ou timestamp est présent mais vide (il doit alors être omis)")
	}
	return nil
}

// checkMembers walks the document's objects and refuses a missing, unknown
// or repeated member, or anything after the object.
func checkMembers(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := walkObject(dec, receiptMembers, map[string]map[string]bool{"event": eventMembers, "inclusion": inclusionMembers})
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("data after the receipt object")
		}
	}
	if err != nil {
		return failf("the receipt is not a valid receipt document: %v", "le reçu n'est pas un document de reçu valide : %v", err)
	}
	return nil
}

// walkObject reads one JSON object whose member names are those of
// members (true for the required ones), once each, none null; a member
// named in nested is an object walked with nested's names.
func walkObject(dec *json.Decoder, members map[string]bool, nested map[string]map[string]bool) error {
	if err := openObject(dec); err != nil {
		return err
	}
	seen := map[string]bool{}
	for dec.More() {
		name, err := memberName(dec, members, seen)
		if err != nil {
			return err
		}
		if err := walkValue(dec, name, nested); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	return checkRequired(members, seen)
}

// openObject reads the opening brace of a JSON object.
func openObject(dec *json.Decoder) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	return nil
}

// checkRequired refuses an object that lacks a required member (true in
// members) among those seen.
func checkRequired(members, seen map[string]bool) error {
	for name, required := range members {
		if required && !seen[name] {
			return errors.New("member " + quote(name) + " missing")
		}
	}
	return nil
}

// memberName reads a member's name, one of members not seen before, and
// marks it seen.
func memberName(dec *json.Decoder, members, seen map[string]bool) (string, error) {
	t, err := dec.Token()
	if err != nil {
		return "", err
	}
	name, _ := t.(string)
	if _, ok := members[name]; !ok {
		return "", errors.New("unknown member " + quote(name))
	}
	if seen[name] {
		return "", errors.New("member " + quote(name) + " repeated")
	}
	seen[name] = true
	return name, nil
}

// walkValue reads the value of member name: an object walked with the
// names nested gives it, or any value but null.
func walkValue(dec *json.Decoder, name string, nested map[string]map[string]bool) error {
	if sub, ok := nested[name]; ok {
		return walkObject(dec, sub, nil)
	}
	var skip json.RawMessage
	if err := dec.Decode(&skip); err != nil {
		return err
	}
	if string(skip) == "null" {
		return errors.New("member " + quote(name) + " is null")
	}
	return nil
}

func quote(s string) string {
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// checkForm checks the bounds and the shape of each member.
func (r *Receipt) checkForm() error {
	for _, check := range []func() error{r.checkBounds, r.checkEvent, r.checkProofHashes, r.checkKind, r.checkTimeSource} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// checkBounds checks that no member is larger than its bound.
func (r *Receipt) checkBounds() error {
	e := &r.Event
	for _, f := range []struct{ name, v string }{
		{"id", r.ID}, {"kind", r.Kind}, {"deposit_id", r.DepositID}, {"event.type", e.Type},
		{"event.actor_id", e.ActorID}, {"event.deposit_id", e.DepositID}, {"event.file_id", e.FileID},
		{"event.detail", e.Detail}, {"time_source", r.TimeSource},
	} {
		if len(f.v) > maxFieldSize {
			return failf("%s is longer than %d bytes", "%s dépasse %d octets", f.name, maxFieldSize)
		}
	}
	switch {
	case len(r.Claims) > MaxClaimsSize:
		return failf("the claims are larger than %d bytes", "les données détaillées dépassent %d octets", MaxClaimsSize)
	case len(r.Checkpoint) > MaxCheckpointSize:
		return failf("the checkpoint is larger than %d bytes", "le point de contrôle dépasse %d octets", MaxCheckpointSize)
	case len(r.Timestamp) > MaxTokenSize:
		return failf("the time-stamp token is larger than %d bytes", "le jeton d'horodatage dépasse %d octets", MaxTokenSize)
	case len(r.Inclusion.Hashes) > MaxProofHashes:
		return failf("the inclusion proof has more than %d hashes", "la preuve d'inclusion a plus de %d empreintes", MaxProofHashes)
	}
	return nil
}

// checkEvent checks the event's index against the proof's tree, the
// lengths of its hashes, and that claims come with an event that commits
// to them.
func (r *Receipt) checkEvent() error {
	e := &r.Event
	switch {
	case e.Index < 0:
		return failf("the event index is negative", "l'index de l'événement est négatif")
	case r.Inclusion.TreeSize <= e.Index:
		return failf("the tree size %d does not include the event's index %d", "la taille de l'arbre %d n'inclut pas l'index %d de l'événement", r.Inclusion.TreeSize, e.Index)
	case !emptyOrDigest(e.SHA256):
		return failf("event.sha256 is neither empty nor 32 bytes", "event.sha256 n'est ni vide ni de 32 octets")
	case !emptyOrDigest(e.ClaimsSHA256):
		return failf("event.claims_sha256 is neither empty nor 32 bytes", "event.claims_sha256 n'est ni vide ni de 32 octets")
	case r.Claims != "" && len(e.ClaimsSHA256) == 0:
		return failf("the receipt carries claims but the event commits to none", "le reçu porte des données détaillées mais l'événement n'en engage aucune")
	}
	return nil
}

// emptyOrDigest reports whether b is empty or the length of a SHA-256.
func emptyOrDigest(b []byte) bool {
	return len(b) == 0 || len(b) == sha256.Size
}

// checkProofHashes checks the lengths of the inclusion proof's hashes.
func (r *Receipt) checkProofHashes() error {
	for i, h := range r.Inclusion.Hashes {
		if len(h) != sha256.Size {
			return failf("inclusion hash %d is not 32 bytes", "l'empreinte %d de la preuve d'inclusion ne fait pas 32 octets", i)
		}
	}
	return nil
}

// checkKind checks that the receipt's kind is known.
func (r *Receipt) checkKind() error {
	if _, ok := kindEvents[r.Kind]; !ok {
		return failf("unknown receipt kind %q", "type de reçu inconnu %q", r.Kind)
	}
	return nil
}

// checkTimeSource checks that the time source is known and that a token
// comes with the TSA's, and only with it.
func (r *Receipt) checkTimeSource() error {
	switch {
	case r.TimeSource == TimeSourceTSA && len(r.Timestamp) == 0:
		return failf("time_source is tsa but the receipt has no time-stamp token", "time_source vaut tsa mais le reçu n'a pas de jeton d'horodatage")
	case r.TimeSource == TimeSourceServer && len(r.Timestamp) != 0:
		return failf("time_source is server-clock but the receipt has a time-stamp token", "time_source vaut server-clock mais le reçu a un jeton d'horodatage")
	case r.TimeSource != TimeSourceTSA && r.TimeSource != TimeSourceServer:
		return failf("unknown time_source %q", "time_source inconnu %q", r.TimeSource)
	}
	return nil
}
