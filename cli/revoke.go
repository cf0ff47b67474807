package cli

import (
	"context"
	"fmt"
)

func init() {
	register("revoke", "withdraw a deposit you sent (revoke DEPOSIT_ID)", runRevoke)
}

func runRevoke(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "revoke", "DEPOSIT_ID\n\nWithdraws a deposit you sent: its recipients can no longer download it.")
	var cf clientFlags
	cf.define(fs)
	if err := parseInterspersed(fs, env, args); err != nil {
		return err
	}
	id, err := depositIDArg(fs)
	if err != nil {
		return err
	}
	c, err := cf.client(env)
	if err != nil {
		return err
	}
	if err := c.Revoke(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Deposit %s revoked.\n", id)
	return nil
}
