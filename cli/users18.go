package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"navette/api"
	"navette/client"
)

func init() {
	adminCommands["users ls"] = adminUsersList
	adminCommands["users show"] = adminUsersShow
}

// adminUsersList lists the people the caller manages, through the API,
// following the pages unless --limit is given.
func adminUsersList(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "admin users ls", "[--q WORDS] [--role ROLE] [--status enabled|disabled] [--directory SOURCE] [--cursor C] [--limit N]\n\nLists, through the API, the people you manage, every page unless --limit is\ngiven.")
	var q client.UserQuery
	fs.StringVar(&q.Text, "q", "", "words of a name, an e-mail address, an organisation")
	fs.StringVar(&q.Role, "role", "", "only people of this `role`")
	fs.StringVar(&q.Status, "status", "", "enabled or disabled (revoked) people only")
	fs.StringVar(&q.Directory, "directory", "", "only people of this directory")
	fs.StringVar(&q.Cursor, "cursor", "", "start after this cursor (a page's next)")
	fs.IntVar(&q.Limit, "limit", 0, "one page of at most `N` people, and its next cursor")
	_, c, err := cf.parseClient(fs, env, args, noArg)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tCOURT\tSTATE")
	next, err := listUserPages(ctx, c, q, tw)
	if err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(env.Stdout, "next: %s\n", next)
	}
	return nil
}

// listUserPages writes the people q selects to w, every page unless
// q.Limit is set, and returns the next page's cursor then.
func listUserPages(ctx context.Context, c *client.Client, q client.UserQuery, w io.Writer) (string, error) {
	for {
		l, err := c.Users(ctx, q)
		if err != nil {
			return "", err
		}
		for _, u := range l.Users {
			printUserRow(w, u)
		}
		if l.Next == "" || q.Limit > 0 {
			return l.Next, nil
		}
		q.Cursor = l.Next
	}
}

func printUserRow(w io.Writer, u api.User) {
	court, state := "-", "enabled"
	if u.Court != nil {
		court = u.Court.Code
	}
	if u.Disabled {
		state = "disabled"
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, printable(u.Email, 100), printable(u.Name, 100), u.Role, printable(court, 40), state)
}

// adminUsersShow shows a person: their factors (never a secret), tokens,
// mailboxes and last events.
func adminUsersShow(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "admin users show", "USER_ID\n\nShows a person, through the API: their factors (never a secret), sessions,\ntokens, mailboxes and last events, times in Paris time.")
	id, c, err := cf.parseClient(fs, env, args, oneArg("one user id is required"))
	if err != nil {
		return err
	}
	d, err := c.User(ctx, id)
	if err != nil {
		return err
	}
	printUserDetail(env.Stdout, d)
	return nil
}

func printUserDetail(w io.Writer, d *api.UserDetail) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	printUserRow(tw, d.User)
	tw.Flush()
	fmt.Fprintf(w, "totp: %v\nrecovery codes left: %d\n", d.Factors.TOTP, d.Factors.RecoveryCodesLeft)
	for _, k := range d.Factors.Passkeys {
		fmt.Fprintf(w, "passkey %s %q created %s (Paris time)\n", k.ID, printable(k.Name, 100), parisTime(k.CreatedAt))
	}
	for _, x := range d.Sessions {
		fmt.Fprintf(w, "session %s %s %s (%s) created %s, expires %s (Paris time)\n", x.ID, x.Stage, printable(x.Method, 60), x.Assurance,
			parisTime(x.CreatedAt), parisTime(x.ExpiresAt))
	}
	printUserTokens(w, d.Tokens)
	for _, m := range d.Mailboxes {
		fmt.Fprintf(w, "mailbox %s %s\n", m.ID, printable(m.Email, 100))
	}
	for _, e := range d.Events {
		fmt.Fprintf(w, "event %s (Paris time) %s %s\n", parisSecond(e.Time), e.Type, printable(e.Detail, 120))
	}
}

// printUserTokens lists a person's API tokens, active or revoked.
func printUserTokens(w io.Writer, tokens []api.Token) {
	for _, t := range tokens {
		state := "active"
		if t.RevokedAt != nil {
			state = "revoked"
		}
		fmt.Fprintf(w, "token %s %q %s, expires %s (Paris time)\n", t.ID, printable(t.Label, 100), state, parisTime(t.ExpiresAt))
	}
}
