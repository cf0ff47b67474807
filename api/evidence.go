package api

import "time"

// Paths and media types of receipts and evidence bundles.
const (
	// PathReceipts is where a receipt is: GET PathReceipts/{rid} gives its
	// JSON (MediaTypeReceipt), ?format=pdf its PDF attestation. A
	// deposit's receipts are listed at GET PathDeposits/{id}/receipts, its
	// evidence bundle (a ZIP) at GET PathDeposits/{id}/evidence.
	PathReceipts = Version + "/receipts"
	// MediaTypeReceipt is the media type of a receipt's JSON document.
	MediaTypeReceipt = "application/vnd.navette.receipt+json"
)

// ReceiptEntry is a receipt in a deposit's list: its id, what it attests
// (deposited, available, notified, opened, downloaded, unclaimed, revoked,
// purged), the time of its event and where to get it.
type ReceiptEntry struct {
	ID   string    `json:"id"`
	Kind string    `json:"kind"`
	Time time.Time `json:"time"`
	URL  string    `json:"url"`
}
