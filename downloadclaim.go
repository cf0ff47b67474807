package navette

import "context"

var downloadClaimKey = &contextKey[string]{"download claim"}

// NewContextWithDownloadClaim returns a copy of ctx carrying the download
// claim id (JournalStore.ClaimDownload): the EventFileDownloaded event of
// its deposit, file and user appended with it ends the claim, in the same
// transaction, so that the download counts once, never twice nor not at
// all.
func NewContextWithDownloadClaim(ctx context.Context, id string) context.Context {
	return downloadClaimKey.with(ctx, id)
}

// DownloadClaimFromContext returns the download claim ctx carries, or "".
func DownloadClaimFromContext(ctx context.Context) string { return downloadClaimKey.value(ctx) }
