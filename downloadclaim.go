package navette

import "context"

type downloadClaimContextKey struct{}

// NewContextWithDownloadClaim returns a copy of ctx carrying the download
// claim id (JournalStore.ClaimDownload): the EventFileDownloaded event of
// its deposit, file and user appended with it ends the claim, in the same
// transaction, so that the download counts once, never twice nor not at
// all.
func NewContextWithDownloadClaim(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, downloadClaimContextKey{}, id)
}

// DownloadClaimFromContext returns the download claim ctx carries, or "".
func DownloadClaimFromContext(ctx context.Context) string {
	id, _ := ctx.Value(downloadClaimContextKey{}).(string)
	return id
}
