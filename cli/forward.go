package cli

import (
	"context"
	"fmt"

	"navette/api"
	"navette/client"
)

func init() {
	register("forward", "pass a deposit you received on to colleagues or service mailboxes (forward DEPOSIT_ID --to ADDRESS…)", runForward)
}

const forwardUsage = `DEPOSIT_ID --to ADDRESS[,ADDRESS…] [--message TEXT] [--retention DAYS]

Forwards a deposit you received (in person or through a service mailbox) to
agents or service mailboxes of the ministry (to partners too where the
server allows it: serve --forward-to-partners), without sending its files
again: the forward is a new deposit under the same reference, in the same
case, with its own recipients and retention; the deposit's sender is told.
Prints the forward's id on the last line.

Flags:`

func runForward(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "forward", forwardUsage)
	var to listFlag
	fs.Var(&to, "to", "recipients' e-mail `addresses`, comma-separated; may be repeated")
	retention := fs.Int("retention", 0, "`days` the forward stays available (0: the server's default)")
	message := fs.String("message", "", "`text` for the recipients")
	if err := parseInterspersed(fs, env, args); err != nil {
		return err
	}
	id, err := depositIDArg(fs)
	if err != nil {
		return err
	}
	switch {
	case len(to) == 0:
		return usageError("--to is required")
	case *retention < 0:
		return usageError("--retention must be a number of days")
	}
	c, err := cf.client(env)
	if err != nil {
		return err
	}
	d, err := c.ForwardOnce(ctx, id, api.Forward{Recipients: to, Message: *message, RetentionDays: *retention}, client.NewIdempotencyKey())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Deposit %s forwarded to %d recipient(s), %d file(s):\n%s\n", id, len(d.Recipients), len(d.Files), d.ID)
	return nil
}
