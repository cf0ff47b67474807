package cli

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
)

// adminSettings shows the platform settings admins saved, or changes those
// given: 0 puts a limit back to the server's configuration.
func adminSettings(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin settings", "--data DIR [--max-file-size BYTES] [--max-files N] [--max-retention DAYS] [--max-recipients N]")
	open := storeFlags(fs)
	size := fs.Int64("max-file-size", 0, "largest file accepted, in bytes (0: the configuration's)")
	files := fs.Int("max-files", 0, "files per deposit (0: the configuration's)")
	days := fs.Int("max-retention", 0, "ceiling of the retention senders choose, in days (0: the configuration's)")
	recips := fs.Int("max-recipients", 0, "recipients per deposit (0: the configuration's)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := a.Deposits.Settings(ctx, operator)
	if err != nil {
		return err
	}
	changed := false
	fs.Visit(func(f *flag.Flag) {
		l := &st.Limits
		switch f.Name {
		case "max-file-size":
			l.MaxFileSize, changed = *size, true
		case "max-files":
			l.MaxFiles, changed = *files, true
		case "max-retention":
			l.MaxRetentionDays, changed = *days, true
		case "max-recipients":
			l.MaxRecipients, changed = *recips, true
		}
	})
	if changed {
		if st, err = a.Deposits.SaveSettings(ctx, operator, st.Limits); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
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
		fmt.Fprintf(tw, "saved\t%s\n", st.UpdatedAt.UTC().Format("2006-01-02 15:04:05Z"))
	}
	return tw.Flush()
}
