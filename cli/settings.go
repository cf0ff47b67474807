package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"navette"
	"navette/app"
)

// adminSettings shows the platform settings admins saved, or changes those
// given: 0 puts a limit back to the server's configuration.
func adminSettings(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin settings", "--data DIR [--max-file-size BYTES] [--max-files N] [--max-retention DAYS] [--max-recipients N]\n\nShows the platform's limits, and changes those given (0 puts one back to the\nserver's configuration); running servers apply them at once.")
	var set navette.Limits
	c.fs.Int64Var(&set.MaxFileSize, "max-file-size", 0, "largest file accepted, in bytes (0: the configuration's)")
	c.fs.IntVar(&set.MaxFiles, "max-files", 0, "files per deposit (0: the configuration's)")
	c.fs.IntVar(&set.MaxRetentionDays, "max-retention", 0, "ceiling of the retention senders choose, in days (0: the configuration's)")
	c.fs.IntVar(&set.MaxRecipients, "max-recipients", 0, "recipients per deposit (0: the configuration's)")
	check := func() error {
		if c.fs.NArg() != 0 {
			return usageError("unexpected argument %q", c.fs.Arg(0))
		}
		return nil
	}
	return c.run(args, check, func(a *app.App) error {
		st, err := a.Deposits.Settings(ctx, operator)
		if err != nil {
			return err
		}
		if setLimits(c.fs, &st.Limits, set) {
			if st, err = a.Deposits.SaveSettings(ctx, operator, st.Limits); err != nil {
				return err
			}
		}
		return printSettings(env.Stdout, st)
	})
}

// setLimits copies into l the limits of set whose flags were given on the
// command line, and reports whether there was any.
func setLimits(fs *flag.FlagSet, l *navette.Limits, set navette.Limits) bool {
	changed := false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "max-file-size":
			l.MaxFileSize = set.MaxFileSize
		case "max-files":
			l.MaxFiles = set.MaxFiles
		case "max-retention":
			l.MaxRetentionDays = set.MaxRetentionDays
		case "max-recipients":
			l.MaxRecipients = set.MaxRecipients
		default:
			return
		}
		changed = true
	})
	return changed
}

// printSettings shows the saved limits, "(configuration)" for those left
// to the server's configuration, and when they were saved.
func printSettings(w io.Writer, st *navette.Settings) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	show := func(name string, v int64) {
		if v == 0 {
			fmt.Fprintf(tw, "%s\t(configuration)\n", name)
		} else {
			fmt.Fprintf(tw, "%s\t%d\n", name, v)
		}
	}
	l := st.Limits
	show("max-file-size", l.MaxFileSize)
	show("max-files", int64(l.MaxFiles))
	show("max-retention", int64(l.MaxRetentionDays))
	show("max-recipients", int64(l.MaxRecipients))
	if !st.UpdatedAt.IsZero() {
		fmt.Fprintf(tw, "saved\t%s (Paris time)\n", parisSecond(st.UpdatedAt))
	}
	return tw.Flush()
}
