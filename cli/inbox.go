package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"navette/api"
	"navette/client"
)

func init() {
	register("inbox", "list deposits received (or sent, with --box sent)", runInbox)
}

func runInbox(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "inbox", "[--box inbox|sent] [--json] [--limit N] [--before CURSOR]\n\nLists the deposits you received (in person or through your service\nmailboxes), or those you sent with --box sent, newest first, with their\nexpiry in Paris time.")
	box := fs.String("box", client.BoxInbox, "`box` to list: inbox (deposits for you) or sent (deposits you made)")
	asJSON := fs.Bool("json", false, "print the server's JSON list instead of a table")
	limit := fs.Int("limit", 0, "list at most `N` deposits (0: the server's page size)")
	before := fs.String("before", "", "list the page after `CURSOR`, as given at the end of the previous page")
	if err := parseInterspersed(fs, env, args); err != nil {
		return err
	}
	if err := checkInboxArgs(fs, *box, *limit); err != nil {
		return err
	}
	c, err := cf.client(env)
	if err != nil {
		return err
	}
	list, err := c.List(ctx, *box, *before, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, list)
	}
	printDepositList(env, *box, list)
	return nil
}

// checkInboxArgs checks that inbox has no argument, lists a box there is,
// and at most a number of deposits that is not negative.
func checkInboxArgs(fs *flag.FlagSet, box string, limit int) error {
	if _, err := noArg(fs); err != nil {
		return err
	}
	if box != client.BoxInbox && box != client.BoxSent {
		return usageError("--box must be inbox or sent")
	}
	if limit < 0 {
		return usageError("--limit must not be negative")
	}
	return nil
}

// printDepositList prints a page of the deposits of box as a table, and
// on stderr how to list the next page if there is one.
func printDepositList(env *Env, box string, list *api.DepositList) {
	if len(list.Deposits) == 0 {
		fmt.Fprintln(env.Stdout, "No deposits.")
		return
	}
	writeDepositTable(env, box, list.Deposits)
	if list.Next != "" {
		fmt.Fprintf(env.Stderr, "More: navette inbox --box %s --before %s\n", box, printable(list.Next, 100))
	}
}

// writeDepositTable prints deposits as an aligned table. Everything in it
// comes from other users and is made printable.
func writeDepositTable(env *Env, box string, deposits []api.Deposit) {
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	who := "FROM"
	if box == client.BoxSent {
		who = "TO"
	}
	fmt.Fprintf(tw, "ID\t%s\tREFERENCE\tFILES\tSIZE\tEXPIRES (PARIS)\n", who)
	for _, d := range deposits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", printable(d.ID, 40), printable(depositPeople(box, &d), 50), printable(d.Reference, 40),
			d.FileCount, humanSize(d.TotalSize), printable(depositExpiry(&d), 20))
	}
	tw.Flush()
}

// depositPeople is the other side of deposit d of box: its recipients for
// a deposit sent, its sender for one received.
func depositPeople(box string, d *api.Deposit) string {
	if box != client.BoxSent {
		return d.Sender.Email
	}
	emails := make([]string, len(d.Recipients))
	for i, r := range d.Recipients {
		emails[i] = r.Email
	}
	return strings.Join(emails, ", ")
}

// depositExpiry is the EXPIRES column of deposit d: "revoked", the expiry
// of a deposit that may still be downloaded, or its state.
func depositExpiry(d *api.Deposit) string {
	switch {
	case d.RevokedAt != nil || d.State == "revoked":
		return "revoked"
	case d.ExpiresAt != nil && (d.State == "available" || d.State == "checking" || d.State == ""):
		return parisTime(*d.ExpiresAt)
	}
	return d.State
}
