package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"

	"navette/migrate"
)

func init() {
	register("migrate", "move a deployment to other stores (PostgreSQL, S3), resumably", runMigrate)
}

const migrateUsage = `--from DATA [--from-db URL --from-blobs URL] --to-db URL --to-blobs URL [--final] [--verify]

Copies the metadata and the sealed blobs of a deployment to other stores,
verifying every blob copied by its SHA-256 read back from the target. Run it
while the server serves, as often as you like (each run copies what is new
or changed), then stop the server, run it once more with --final, copy the
keys directory to the new nodes and start them on the new stores. Uploads in
progress at the final pass restart from their first byte.

Flags:`

func runMigrate(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "migrate", migrateUsage)
	var o migrate.Options
	fs.StringVar(&o.FromDataDir, "from", "", "data directory of the source (its database and blobs by default)")
	fs.StringVar(&o.FromDB, "from-db", "", "source database URL (default sqlite:FROM/navette.db)")
	fs.StringVar(&o.FromBlobs, "from-blobs", "", "source blob store URL (default file://FROM/blobs)")
	fs.StringVar(&o.ToDB, "to-db", "", "target database URL (postgres://…)")
	fs.StringVar(&o.ToBlobs, "to-blobs", "", "target blob store URL (s3://…)")
	fs.BoolVar(&o.Final, "final", false, "last pass, with the source server stopped")
	fs.BoolVar(&o.Verify, "verify", false, "also re-read and compare blobs copied by earlier runs")
	fs.IntVar(&o.Workers, "workers", 4, "blobs copied at once")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	if err := checkStores(o); err != nil {
		return err
	}
	o.Log = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := migrate.Run(ctx, o)
	if err != nil {
		return err
	}
	printMigration(env.Stdout, &st, o.Final)
	return nil
}

// checkStores checks that the options name the target stores, and the
// source's data directory or both its stores.
func checkStores(o migrate.Options) error {
	if o.ToDB == "" || o.ToBlobs == "" {
		return usageError("--to-db and --to-blobs are required")
	}
	if o.FromDataDir == "" && (o.FromDB == "" || o.FromBlobs == "") {
		return usageError("name the source with --from DATA, or --from-db and --from-blobs")
	}
	return nil
}

// printMigration reports what a run copied: the rows of each table, in
// order of name, the blobs, and after the final pass what is left to do.
func printMigration(w io.Writer, st *migrate.Stats, final bool) {
	tables := make([]string, 0, len(st.Rows))
	for t := range st.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(w, "%-20s %8d rows\n", t, st.Rows[t])
	}
	fmt.Fprintf(w, "blobs copied %d (%d bytes, each verified), already there %d\n", st.BlobsCopied, st.Bytes, st.BlobsPresent)
	if final {
		fmt.Fprintf(w, "uploads in progress reset: %d\nnow copy the keys directory to the new nodes and start them on the target stores\n", st.UploadsReset)
	}
}
