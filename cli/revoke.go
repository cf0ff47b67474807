package cli

import (
	"context"
	"fmt"
)

func init() {
	register("revoke", "withdraw a deposit you sent (revoke DEPOSIT_ID)", runRevoke)
}

func runRevoke(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "revoke", "DEPOSIT_ID\n\nWithdraws a deposit you sent: its recipients can no longer download it,\nand those it was offered to are told by e-mail, with --reason if given.")
	reason := fs.String("reason", "", "why you withdraw it, told to its recipients by e-mail (one line)")
	id, c, err := cf.parseClient(fs, env, args, depositIDArg)
	if err != nil {
		return err
	}
	if err := c.RevokeWithReason(ctx, id, *reason); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Deposit %s revoked.\n", id)
	return nil
}
