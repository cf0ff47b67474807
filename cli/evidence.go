package cli

import (
	"context"
	"fmt"

	"navette/app"
)

// adminEvidence writes the evidence bundle of a deposit (a ZIP) to
// standard output.
func adminEvidence(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin evidence", "--data DIR DEPOSIT_ID > bundle.zip\n\nWrites the evidence bundle of a deposit (a ZIP of its receipts, journal\nentries and their proofs) to standard output; the export is journaled.")
	check := func() error {
		if c.fs.NArg() != 1 {
			return usageError("give one deposit id")
		}
		return nil
	}
	return c.run(args, check, func(a *app.App) error {
		if err := a.Evidence.OperatorBundle(ctx, c.fs.Arg(0), env.Stdout); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "evidence bundle of deposit %s written; its export is journaled\n", c.fs.Arg(0))
		return nil
	})
}
