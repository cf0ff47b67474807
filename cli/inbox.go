package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	_ "time/tzdata" // expiry dates are shown in Paris time, even without system tzdata

	"navette/api"
	"navette/client"
)

func init() {
	register("inbox", "list deposits received (or sent, with --box sent)", runInbox)
}

func runInbox(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "inbox", "[--box inbox|sent] [--json] [--limit N] [--before CURSOR]")
	var cf clientFlags
	cf.define(fs)
	box := fs.String("box", client.BoxInbox, "`box` to list: inbox (deposits for you) or sent (deposits you made)")
	asJSON := fs.Bool("json", false, "print the server's JSON list instead of a table")
	limit := fs.Int("limit", 0, "list at most `N` deposits (0: the server's page size)")
	before := fs.String("before", "", "list the page after `CURSOR`, as given at the end of the previous page")
	if err := parseInterspersed(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", printable(fs.Arg(0), 60))
	}
	if *box != client.BoxInbox && *box != client.BoxSent {
		return usageError("--box must be inbox or sent")
	}
	if *limit < 0 {
		return usageError("--limit must not be negative")
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
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(list.Deposits) == 0 {
		fmt.Fprintln(env.Stdout, "No deposits.")
		return nil
	}
	writeDepositTable(env, *box, list.Deposits)
	if list.Next != "" {
		fmt.Fprintf(env.Stderr, "More: navette inbox --box %s --before %s\n", *box, printable(list.Next, 100))
	}
	return nil
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
	loc := paris()
	for _, d := range deposits {
		var people string
		if box == client.BoxSent {
			emails := make([]string, len(d.Recipients))
			for i, r := range d.Recipients {
				emails[i] = r.Email
			}
			people = strings.Join(emails, ", ")
		} else {
			people = d.Sender.Email
		}
		expires := d.State
		switch {
		case d.RevokedAt != nil || d.State == "revoked":
			expires = "revoked"
		case d.ExpiresAt != nil && (d.State == "available" || d.State == "checking" || d.State == ""):
			expires = d.ExpiresAt.In(loc).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", printable(d.ID, 40), printable(people, 50), printable(d.Reference, 40),
			d.FileCount, humanSize(d.TotalSize), printable(expires, 20))
	}
	tw.Flush()
}
