package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"navette"
	"navette/app"
	"navette/notify"
)

func init() {
	register("mail", "read the local outbox of e-mails: mail ls, mail show ID", runMail)
}

const mailUsage = `navette mail ls --data DIR [--limit N]
navette mail show --data DIR [--html] ID`

func runMail(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "ls":
			return mailList(env, args[1:])
		case "show":
			return mailShow(env, args[1:])
		}
	}
	return noSubcommand(env, "mail", mailUsage, args)
}

// openOutbox opens the local outbox of a data directory.
func openOutbox(data string) (*notify.Outbox, func(), error) {
	a, err := openData(data, "", "")
	if err != nil {
		return nil, nil, err
	}
	return a.Outbox, func() { a.Close() }, nil
}

func mailList(env *Env, args []string) error {
	fs := newFlagSet(env, "mail ls", "--data DIR [--limit N]\n\nLists the e-mails of the local outbox (where they go without --smtp), newest\nfirst.")
	data := fs.String("data", "", "data directory")
	limit := fs.Int("limit", 50, "show at most this many messages, newest first")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	if *limit < 1 {
		return usageError("--limit must be positive")
	}
	o, done, err := openOutbox(*data)
	if err != nil {
		return err
	}
	defer done()
	ms, unreadable, err := o.Browse(*limit)
	if err != nil {
		return err
	}
	if len(unreadable) > 0 {
		fmt.Fprintf(env.Stderr, "%d message(s) cannot be opened: this data directory lacks their key-encryption key (%s)\n", len(unreadable), strings.Join(unreadable, " "))
	}
	if len(ms) == 0 {
		fmt.Fprintf(env.Stderr, "no message in %s\n", o.Dir())
		return nil
	}
	return writeMessageTable(env.Stdout, ms)
}

// writeMessageTable prints the messages of the outbox as an aligned table.
func writeMessageTable(w io.Writer, ms []*notify.Message) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDATE (PARIS)\tKIND\tTO\tSUBJECT")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.NoticeID, parisTime(m.Date), m.Kind, m.To.Email, m.Subject)
	}
	return tw.Flush()
}

func mailShow(env *Env, args []string) error {
	fs := newFlagSet(env, "mail show", "--data DIR [--html] ID\n\nPrints an e-mail of the local outbox, its headers then its text (or its HTML\nwith --html).")
	data := fs.String("data", "", "data directory")
	html := fs.Bool("html", false, "print the HTML version instead of the text")
	if err := parseInterspersed(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("one message ID is required (see navette mail ls)")
	}
	o, done, err := openOutbox(*data)
	if err != nil {
		return err
	}
	defer done()
	m, err := o.Get(fs.Arg(0))
	if err != nil {
		return err
	}
	if *html {
		fmt.Fprint(env.Stdout, m.HTML)
		return nil
	}
	printMessage(env.Stdout, m)
	return nil
}

// printMessage prints the headers and the text of message m.
func printMessage(w io.Writer, m *notify.Message) {
	fmt.Fprintf(w, "Message-ID: <%s>\nDate: %s\nFrom: %s\nTo: %s\nSubject: %s\nContent-Language: %s\n\n",
		m.ID, m.Date.In(paris()).Format("2006-01-02 15:04:05 MST"), m.From.Display(), m.To.Display(), m.Subject, m.Lang)
	fmt.Fprint(w, m.Text)
	if !strings.HasSuffix(m.Text, "\n") {
		fmt.Fprintln(w)
	}
}

func adminMailDead(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin mail dead", "--data DIR [--limit N]\n\nLists the notices whose e-mail could not be sent after every attempt (dead\nletters), oldest first, with their last error.")
	limit := c.fs.Int("limit", 100, "show at most this many, oldest first")
	check := func() error {
		if c.fs.NArg() > 0 {
			return usageError("unexpected argument %q", c.fs.Arg(0))
		}
		if *limit < 1 {
			return usageError("--limit must be positive")
		}
		return nil
	}
	return c.run(args, check, func(a *app.App) error {
		vs, err := a.Mail.OperatorNotices(ctx, navette.NoticeFilter{State: navette.NoticeDead, Limit: *limit})
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			fmt.Fprintln(env.Stderr, "no dead letter")
			return nil
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCREATED (PARIS)\tKIND\tTO\tATTEMPTS\tLAST ERROR")
		for _, v := range vs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", v.ID, parisTime(v.CreatedAt), v.Kind, v.Email, v.Attempts, v.LastError)
		}
		return tw.Flush()
	})
}

func adminMailReplay(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin mail replay", "--data DIR NOTICE_ID\n\nQueues again a dead letter (see \"admin mail dead\"); the server sends it at\nits next poll.")
	c.interspersed = true
	check := func() error {
		if c.fs.NArg() != 1 {
			return usageError("one notice ID is required (see navette admin mail dead)")
		}
		return nil
	}
	return c.run(args, check, func(a *app.App) error {
		v, err := a.Mail.OperatorReplay(ctx, c.fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "notice %s to %s queued again; the server sends it within its poll interval\n", v.ID, v.Email)
		return nil
	})
}
