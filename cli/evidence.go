package cli

import (
	"context"
	"fmt"
)

// adminEvidence writes the evidence bundle of a deposit (a ZIP) to
// standard output.
func adminEvidence(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin evidence", "--data DIR DEPOSIT_ID > bundle.zip")
	open := storeFlags(fs)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("give one deposit id")
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Evidence.OperatorBundle(ctx, fs.Arg(0), env.Stdout); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "evidence bundle of deposit %s written; its export is journaled\n", fs.Arg(0))
	return nil
}
