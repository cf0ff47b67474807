package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"navette"
	"navette/api"
	"navette/client"
	"navette/deposit"
)

func init() {
	register("send", "deposit files for recipients (send --to EMAIL --ref REF FILE…)", runSend)
}

const sendUsage = `--to EMAIL[,EMAIL…] --ref REF [--retention DAYS] [--message TEXT] [--no-receipts] [--max-downloads N] FILE…

Creates a deposit, uploads the files (resuming by itself when the connection
drops), submits it and prints its id on the last line of standard output.
Interrupted or killed, the same command run again resumes that deposit,
sending only what the server lacks (what it needs is kept under the user's
cache directory, in navette/send/, until the deposit is sent); if a file
changed meanwhile, it discards the draft and sends a new deposit.
Flags may come before or after the files; put -- before a file whose name
begins with a dash. Prefer NAVETTE_TOKEN to --token: command lines are
visible to other users of the machine.

Flags:`

func runSend(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "send", sendUsage)
	var to listFlag
	fs.Var(&to, "to", "recipients' e-mail `addresses`, comma-separated; may be repeated")
	ref := fs.String("ref", "", "case `reference` shown to the recipients (required)")
	retention := fs.Int("retention", 0, "`days` the files stay available (0: the server's default)")
	message := fs.String("message", "", "`text` for the recipients")
	noReceipts := fs.Bool("no-receipts", false, "do not e-mail me when each recipient first downloads")
	maxDownloads := fs.Int("max-downloads", 0, "complete downloads of each file allowed per recipient (0: no limit)")
	from := fs.String("from", "", "send on behalf of the service mailbox with this `e-mail` address, of which you are a member")
	if err := parseInterspersed(fs, env, args); err != nil {
		return err
	}
	paths := fs.Args()
	if err := checkSendArgs(to, *ref, *retention, paths); err != nil {
		return err
	}
	c, err := cf.client(env)
	if err != nil {
		return err
	}
	// Every file must be there before anything is created on the server.
	files, err := checkLocalFiles(paths)
	if err != nil {
		return err
	}
	in := api.CreateDeposit{
		Recipients: to, Reference: strings.TrimSpace(*ref), Message: *message, RetentionDays: *retention,
		NotifySender: notifySender(*noReceipts), MaxDownloads: *maxDownloads, FromSpace: strings.TrimSpace(*from),
	}
	st, err := openSendState(env, sendingDeposit, sendKey(c.ServerURL(), cf.token, in, files))
	if err != nil {
		return err
	}
	defer st.close()
	sub, err := sendDeposit(ctx, env, c, st, files, func(key string) (*api.Deposit, error) {
		return c.CreateDepositOnce(ctx, in, key)
	})
	if err != nil {
		return err
	}
	if env.stderrIsTerminal() {
		printSent(env, files, to, sub)
	}
	fmt.Fprintln(env.Stdout, sub.ID)
	return nil
}

// sendDeposit sends files in a draft that create makes, or goes on with
// the one an interrupted run of the same command left in st, and returns
// it submitted. create is given the idempotency key kept in st for the
// creation, which it may send. st is removed once the deposit is sent, or
// cannot be resumed.
func sendDeposit(ctx context.Context, env *Env, c *client.Client, st *sendState, files []localFile, create func(key string) (*api.Deposit, error)) (*api.Deposit, error) {
	id, done, err := resumeDeposit(ctx, env, c, st, files)
	if done != nil || err != nil {
		if !st.keeps(ctx, err) {
			st.end()
		}
		return done, err
	}
	if id == "" {
		d, err := create(st.creationKey())
		if err != nil {
			if !unsettled(ctx, err) {
				st.end()
			}
			return nil, err
		}
		id = d.ID
		st.start(id, files)
	}
	return submitDraft(ctx, env, c, id, files, st)
}

// checkSendArgs checks that a deposit to send has recipients, a
// reference, a retention that is a number of days, and files.
func checkSendArgs(to []string, ref string, retention int, paths []string) error {
	switch {
	case len(to) == 0:
		return usageError("--to is required")
	case strings.TrimSpace(ref) == "":
		return usageError("--ref is required")
	case retention < 0:
		return usageError("--retention must be a number of days")
	case len(paths) == 0:
		return usageError("no file to send")
	}
	return nil
}

// submitDraft uploads files into the draft id and submits it, waiting
// for the checks of its files, and returns it. st records the uploads as
// they are created, and is ended once the deposit is sent. If an upload or
// the submission fails, the command says on stderr that the draft is kept
// for the same command to resume (st keeps), or else left for the server
// to delete.
func submitDraft(ctx context.Context, env *Env, c *client.Client, id string, files []localFile, st *sendState) (*api.Deposit, error) {
	cmd := st.kind.cmd
	abandon := func(what string, err error) error {
		if st.keeps(ctx, err) {
			fmt.Fprintf(env.Stderr, "navette %s: deposit %s was not submitted; run the same command again to resume it\n", cmd, id)
		} else {
			st.end()
			fmt.Fprintf(env.Stderr, "navette %s: deposit %s was not submitted; the server will delete the draft\n", cmd, id)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: interrupted", what)
		}
		return fmt.Errorf("%s: %s", what, oneLine(err))
	}
	for i, f := range files {
		if err := sendFile(ctx, env, c, id, f, st, i); err != nil {
			return nil, abandon(f.path, err)
		}
	}
	st.submitting()
	sub, err := c.Submit(ctx, id)
	if err != nil {
		return nil, abandon("submitting the deposit", err)
	}
	if sub.State == string(navette.DepositChecking) {
		sub, err = waitChecked(ctx, env, c, cmd, sub)
	}
	if !st.keeps(ctx, err) {
		st.end()
	}
	return sub, err
}

// checkLocalFiles checks the files to send (checkLocalFile).
func checkLocalFiles(paths []string) ([]localFile, error) {
	files := make([]localFile, 0, len(paths))
	for _, p := range paths {
		f, err := checkLocalFile(p)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// printSent tells the person at the terminal what was sent: how many
// files of how many bytes, to whom, until when.
func printSent(env *Env, files []localFile, to []string, sub *api.Deposit) {
	n := len(files)
	var total int64
	for _, f := range files {
		total += f.size
	}
	until := ""
	if sub.ExpiresAt != nil {
		until = ", available until " + parisTime(*sub.ExpiresAt) + " (Paris time)"
	}
	plural := "s"
	if n == 1 {
		plural = ""
	}
	fmt.Fprintf(env.Stderr, "Sent %d file%s, %s, to %s%s.\n", n, plural, humanSize(total), strings.Join(to, ", "), until)
}

// localFile is a file to send.
type localFile struct {
	path  string // as given
	abs   string // absolute
	name  string // the name recipients see
	size  int64
	mtime time.Time
}

// checkLocalFile checks that path is a readable regular file.
func checkLocalFile(path string) (localFile, error) {
	st, err := os.Stat(path)
	if err == nil && !st.Mode().IsRegular() {
		return localFile{}, fmt.Errorf("%s: not a regular file", printable(path, 200))
	}
	if err == nil {
		err = canOpen(path)
	}
	if err != nil {
		return localFile{}, fmt.Errorf("%s: %v", printable(path, 200), pathErrorCause(err))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return localFile{}, fmt.Errorf("%s: %v", printable(path, 200), err)
	}
	return localFile{path: path, abs: abs, name: filepath.Base(path), size: st.Size(), mtime: st.ModTime()}, nil
}

// canOpen checks that the file at path can be opened for reading.
func canOpen(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	f.Close()
	return nil
}

// pathErrorCause drops the operation and path an *os.PathError adds to
// its cause (the message names the path already).
func pathErrorCause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// sendFile uploads lf, file i of the deposit, to the draft deposit,
// creating its upload unless st has it, and recording it there.
func sendFile(ctx context.Context, env *Env, c *client.Client, depositID string, lf localFile, st *sendState, i int) error {
	f, err := os.Open(lf.path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	u := st.upload(i)
	if u == "" {
		if u, err = c.CreateUpload(ctx, depositID, lf.name, size); err != nil {
			return err
		}
		st.created(i, u)
	}
	p := newProgress(env, lf.name, size, 0)
	err = c.ResumeUpload(ctx, u, f, size, p.update)
	p.finish(err == nil)
	return err
}

// listFlag is a flag of comma-separated values that may be repeated.
type listFlag []string

// String returns the values, comma-separated.
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set adds the comma-separated values of s.
func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// ---- shared by the commands that talk to a server (send, inbox, get, revoke) ----

// clientFlags are the flags naming the server and the credentials.
type clientFlags struct {
	server, token string
}

// newClientFlagSet is newFlagSet for a command that talks to a server,
// with the flags naming the server and the credentials defined.
func newClientFlagSet(env *Env, name, usage string) (*flag.FlagSet, *clientFlags) {
	fs := newFlagSet(env, name, usage)
	cf := new(clientFlags)
	fs.StringVar(&cf.server, "server", "", "`URL` of the navette server")
	fs.StringVar(&cf.token, "token", "", "API `token` (better set NAVETTE_TOKEN: command lines are visible to others)")
	return fs, cf
}

// client returns a client of the server the flags name.
func (f *clientFlags) client(env *Env) (*client.Client, error) {
	if f.server == "" {
		return nil, usageError("no server: set --server or NAVETTE_SERVER")
	}
	if f.token == "" {
		return nil, usageError("no token: set NAVETTE_TOKEN or --token")
	}
	retry := client.DefaultRetryPolicy()
	retry.Notify = func(cause error, wait time.Duration) { sayRetry(env, cause, wait) }
	c, err := client.New(f.server, f.token, client.WithUserAgent("navette-cli"), client.WithRetry(retry))
	if err != nil {
		return nil, usageError("%v", err)
	}
	warnPlainHTTP(env, c.ServerURL())
	return c, nil
}

// sayRetry tells on stderr that a transfer failed with cause and is
// retried after wait, on a line of its own (in a terminal, over the
// progress line, which the next update draws again below): a script
// reading stderr learns that the link is flaky.
func sayRetry(env *Env, cause error, wait time.Duration) {
	clear := ""
	if env.stderrIsTerminal() {
		clear = "\r\x1b[K"
	}
	fmt.Fprintf(env.Stderr, "%snavette: %s; retrying in %s\n", clear, oneLine(cause), wait.Round(100*time.Millisecond))
}

// warnPlainHTTP warns on stderr when the server at serverURL is reached
// in plain http other than on this machine.
func warnPlainHTTP(env *Env, serverURL string) {
	if u, err := url.Parse(serverURL); err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()) {
		fmt.Fprintf(env.Stderr, "navette: warning: %s is plain http: the token and the files travel unencrypted\n", u.Host)
	}
}

// isLoopback reports whether host is this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseInterspersed parses args like parseFlags, but lets flags follow
// positional arguments ("send a.pdf b.pdf --to x@y"), as users expect. An
// argument "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, env *Env, args []string) error {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		if !takesValue(fs, a) {
			continue
		}
		if i+1 == len(args) {
			fs.Usage()
			return usageError("flag needs an argument: %s", a)
		}
		i++
		flags = append(flags, args[i])
	}
	return parseFlags(fs, env, append(append(flags, "--"), rest...))
}

// takesValue reports whether the flag argument a (-name or --name, with
// no =value) names a flag of fs whose value is the next argument.
func takesValue(fs *flag.FlagSet, a string) bool {
	name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	if strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	return f != nil && !isBoolFlag(f)
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// depositIDArg returns the single positional argument, a deposit id.
func depositIDArg(fs *flag.FlagSet) (string, error) {
	if fs.NArg() != 1 {
		return "", usageError("expected one deposit id")
	}
	return parseDepositID(fs.Arg(0))
}

// parseDepositID checks that arg, spaces around it aside, is a deposit id,
// and returns it.
func parseDepositID(arg string) (string, error) {
	id := strings.TrimSpace(arg)
	if !navette.ValidID(id) {
		return "", usageError("%q is not a deposit id", printable(id, 60))
	}
	return id, nil
}

// notifySender returns the notify_sender of a new deposit: absent (the
// server's default, on) unless receipts are turned off.
func notifySender(noReceipts bool) *bool {
	if !noReceipts {
		return nil
	}
	off := false
	return &off
}

// checkWait bounds how long send waits for the antivirus's verdicts on a
// submitted deposit.
const checkWait = 2 * time.Minute

// waitChecked waits while a submitted deposit is checking: it becomes
// available with its files' verdicts, or returns to draft if one was
// rejected, which is an error naming the file and why. If the antivirus
// takes longer than checkWait, the command cmd says so and ends: the
// deposit will be offered once its files are clean.
func waitChecked(ctx context.Context, env *Env, c *client.Client, cmd string, d *api.Deposit) (*api.Deposit, error) {
	deadline := time.Now().Add(checkWait)
	for d.State == string(navette.DepositChecking) {
		if time.Now().After(deadline) {
			fmt.Fprintf(env.Stderr, "navette %s: deposit %s is submitted; the antivirus has not checked every file yet: it will be offered once they are clean\n", cmd, d.ID)
			return d, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		var err error
		if d, err = c.Deposit(ctx, d.ID); err != nil {
			return nil, err
		}
	}
	if err := refusedFile(d); err != nil {
		return nil, err
	}
	return d, nil
}

// refusedFile says which file of the checked deposit d was refused, and
// why, or returns nil if none was.
func refusedFile(d *api.Deposit) error {
	for _, f := range d.Files {
		if f.State == string(navette.FileRejected) {
			return fmt.Errorf("%s: refused: %s; deposit %s was not sent", printable(f.Name, 200), checkReason(f.Check, f.CheckDetail), d.ID)
		}
	}
	return nil
}

// checkReason says why content checks refused a file, in the server's
// words (deposit.CheckReason), its detail made printable.
func checkReason(check, detail string) string {
	return deposit.CheckReason(navette.FileCheck(check), printable(detail, 200))
}
