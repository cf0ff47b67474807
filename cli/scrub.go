package cli

import (
	"context"
	"fmt"
	"io"

	"navette/app"
	"navette/deposit"
)

// adminScrub runs one scrub pass over the platform's stored files and
// prints what it found: each corrupt file, then a summary.
func adminScrub(ctx context.Context, env *Env, args []string) error {
	c := newAdminBlobCmd(env, "admin scrub", "--data DIR [--db URL] [--blobs URL] [--rate BYTES_PER_SECOND]\n\nReads every stored file back and checks it against its SHA-256, prints each\ncorrupt or unreadable one and a summary, and exits 1 if it found any.")
	rate := c.fs.Int64("rate", deposit.DefaultScrubRate, "read at most this many bytes per second (0: as fast as the store goes)")
	check := func() error {
		if *rate < 0 {
			return usageError("--rate must not be negative")
		}
		return nil
	}
	return c.run(args, check, func(a *app.App) error {
		st, err := a.Deposits.Scrub(ctx, *rate)
		return reportScrub(env.Stdout, st, err)
	})
}

// reportScrub prints on w what a scrub pass found, however far it went
// (it stopped on err if not nil), and fails if it found any file corrupt or
// unreadable.
func reportScrub(w io.Writer, st deposit.ScrubStats, err error) error {
	for _, f := range st.Corrupt {
		fmt.Fprintf(w, "corrupt file %s of deposit %s: %s\n", f.ID, f.DepositID, f.CheckDetail)
	}
	fmt.Fprintf(w, "scrubbed %d files (%d bytes): %d corrupt, %d unreadable\n", st.Files, st.Bytes, len(st.Corrupt), st.Unreadable)
	if err != nil {
		return err
	}
	if len(st.Corrupt) > 0 || st.Unreadable > 0 {
		return fmt.Errorf("%d corrupt and %d unreadable files: they are journaled and the platform admins alerted", len(st.Corrupt), st.Unreadable)
	}
	return nil
}
