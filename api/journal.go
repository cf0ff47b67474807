package api

// Paths of the journal's proofs (docs/proofs.md).
const (
	// PathJournalCheckpoint is the latest signed checkpoint of the
	// journal's tree, a C2SP signed note (GET, text/plain, public).
	PathJournalCheckpoint = Version + "/journal/checkpoint"
	// PathJournalKeys lists the verifier keys of checkpoints, current and
	// past, one a line (GET, text/plain, public).
	PathJournalKeys = Version + "/journal/keys"
	// PathJournalProof is the inclusion proof of a leaf in a tree (GET
	// ?index=N&size=M: Proof, auditors and admins).
	PathJournalProof = Version + "/journal/proof"
	// PathJournalConsistency is the proof that a tree is a prefix of a
	// larger one (GET ?from=A&to=B: Proof, auditors and admins).
	PathJournalConsistency = Version + "/journal/consistency"
)

// Proof is an inclusion or consistency proof of the journal's tree: the
// hashes of tlog.RecordProof or tlog.TreeProof, in standard base64.
type Proof struct {
	Hashes []string `json:"hashes"`
}
