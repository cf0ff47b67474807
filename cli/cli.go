// Package cli implements the navette command line: one binary whose
// subcommands run the server (serve, demo), administer it (admin) and act as
// a client of its API (send, inbox, get, revoke).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/term"

	"navette"
)

// Env is what a command may touch of the outside world, so tests can run
// commands in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// IsTerminal reports whether w is an interactive terminal (progress is
	// shown only then).
	IsTerminal func(w io.Writer) bool
	// Context, if set, is the parent context of the command; interrupts
	// cancel it.
	Context context.Context
	// CacheDir, if set, returns the user's cache directory in place of
	// os.UserCacheDir (where send keeps what resumes it).
	CacheDir func() (string, error)
}

// OSEnv returns the environment of the running process.
func OSEnv() *Env {
	return &Env{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		IsTerminal: func(w io.Writer) bool {
			f, ok := w.(*os.File)
			return ok && term.IsTerminal(int(f.Fd()))
		},
	}
}

// stderrIsTerminal reports whether the standard error is an interactive
// terminal, where what is only for a person (progress, summaries) is shown.
func (env *Env) stderrIsTerminal() bool {
	return env.IsTerminal != nil && env.IsTerminal(env.Stderr)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

var commands = map[string]command{}

// register adds a subcommand; called from init functions, one per file.
func register(name, summary string, run func(ctx context.Context, env *Env, args []string) error) {
	commands[name] = command{name: name, summary: summary, run: run}
}

// errUsage marks an error in how a command was called (exit status 2).
var errUsage = errors.New("usage")

// usageError returns an error for a badly called command.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// noSubcommand is what a group of commands (admin, directory, mail)
// answers when args, its arguments, name none of its commands: its usage
// on standard error and flag.ErrHelp (exit status 0) when help was asked,
// else a usage error saying that a command was expected or is unknown.
func noSubcommand(env *Env, group, usage string, args []string) error {
	switch {
	case len(args) == 0:
		return usageError("expected a command\n%s", usage)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Fprintln(env.Stderr, usage)
		return flag.ErrHelp
	}
	return usageError("unknown %s command %q\n%s", group, args[0], usage)
}

// Main runs the command named by args[0] and returns the process exit status:
// 0 on success, 1 on failure, 2 on a usage error. Failures print one
// readable line on stderr.
func Main(args []string, env *Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "navette: unknown command %q (see \"navette help\")\n", args[0])
		return 2
	}
	return exitStatus(env, calledName(args), runCommand(env, cmd, args[1:]))
}

// groupSubcommands are the subcommands of the groups of commands other
// than admin (whose are adminCommands).
var groupSubcommands = map[string][]string{"case": {"ls", "show", "get", "evidence"}, "mail": {"ls", "show"}, "directory": {"import"}}

// calledName is the name of the command args call, as its messages name
// it: with its subcommand when it is a group's ("admin users show").
func calledName(args []string) string {
	n := 1
	switch {
	case args[0] == "admin" && len(args) > 2 && adminCommands[args[1]+" "+args[2]] != nil:
		n = 3
	case args[0] == "admin" && len(args) > 1 && adminCommands[args[1]] != nil,
		len(args) > 1 && slices.Contains(groupSubcommands[args[0]], args[1]):
		n = 2
	}
	return strings.Join(args[:n], " ")
}

// runCommand runs cmd with args, in the context of env (the background if
// none) until an interrupt or SIGTERM.
func runCommand(env *Env, cmd command, args []string) error {
	parent := env.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cmd.run(ctx, env, args)
}

// exitStatus prints on stderr the failure err of command name, if any,
// and returns the exit status it calls for: 0 on success or help, 1 on
// failure, 2 on a usage error.
func exitStatus(env *Env, name string, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(env.Stderr, "navette %s: %s\n", name, strings.TrimPrefix(err.Error(), "usage: "))
		return 2
	default:
		fmt.Fprintf(env.Stderr, "navette %s: %s\n", name, oneLine(err))
		return 1
	}
}

// oneLine renders err as a single line for the terminal: the user-facing
// message of an application error, or the error text. An error that
// tells itself otherwise than by wrapping the application error's text
// (directory.ParseError, its problems one a line) is shown by that
// message alone.
func oneLine(err error) string {
	var e *navette.Error
	msg := err.Error()
	if errors.As(err, &e) {
		// Keep the context wrapped around the application error, but show
		// its message rather than its code.
		shown := e.Message
		switch {
		case e.Err == nil:
		case shown == "":
			shown = e.Err.Error()
		case strings.HasSuffix(shown, "."):
			// A sentence: its cause goes before its full stop, not after
			// it as ".: cause".
			shown = strings.TrimSuffix(shown, ".") + " (" + e.Err.Error() + ")."
		default:
			shown += ": " + e.Err.Error()
		}
		switch {
		case shown == "":
		case strings.Contains(msg, e.Error()):
			msg = strings.Replace(msg, e.Error(), shown, 1)
		default:
			msg = shown
		}
	}
	var ue *url.Error
	var op *net.OpError
	if errors.As(err, &ue) && errors.As(ue.Err, &op) && !errors.Is(err, context.Canceled) {
		// Go's "Get \"URL\": dial tcp HOST: connect: …" says the server in
		// a request's URL; a person wants the server and the cause.
		msg = strings.Replace(msg, ue.Error(), fmt.Sprintf("the connection to the server %s failed (%v)", serverOf(ue.URL), op.Err), 1)
	}
	return strings.Join(strings.Fields(msg), " ")
}

// serverOf is the server of the request URL raw: its scheme and host.
func serverOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "navette — secure exchange of large files\n\nUsage: navette COMMAND [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEvery flag --name but --force may also be set by the environment variable NAVETTE_NAME;\nthose of serve and doctor also by name = value in /etc/navette/navette.toml (--config).")
}

// newFlagSet returns a flag set for a command that reports errors through
// the returned error rather than exiting.
func newFlagSet(env *Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package's own line would say the error twice: the usage,
	// then the error, are printed by the command.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: navette %s %s\n\nFlags:\n", name, strings.TrimSuffix(usage, "\n\nFlags:"))
		printFlags(env.Stderr, fs)
	}
	return fs
}

// printFlags prints the flags of fs as flag.PrintDefaults does, named with
// two dashes as the documentation names them, each with the NAVETTE_*
// variable that also sets it (or, for those of commandLineOnly, saying that
// none does).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if arg != "" {
			head += " " + arg
		}
		var notes []string
		if def := shownDefault(f); def != "" {
			notes = append(notes, "default "+def)
		}
		switch {
		case commandLineOnly[f.Name]:
			notes = append(notes, "command line only")
		case !strings.Contains(usage, envName(f.Name)):
			notes = append(notes, envName(f.Name))
		}
		if len(notes) > 0 {
			usage += " (" + strings.Join(notes, "; ") + ")"
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", head, strings.ReplaceAll(usage, "\n", "\n    \t"))
	})
}

// shownDefault is the default of flag f as its help shows it, quoted for
// a string, or "" when it is the zero value of its type.
func shownDefault(f *flag.Flag) string {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		if f.DefValue == "" || f.DefValue == "[]" {
			return ""
		}
		return f.DefValue
	}
	v := g.Get()
	if v == nil || reflect.ValueOf(v).IsZero() {
		return ""
	}
	if _, isString := v.(string); isString {
		return strconv.Quote(f.DefValue)
	}
	return f.DefValue
}

// parseFlags parses args, first taking defaults from NAVETTE_* variables:
// flag --foo-bar is set by NAVETTE_FOO_BAR when the command line does not set
// it; a command with a --config flag also reads its configuration file
// (parseLayers).
func parseFlags(fs *flag.FlagSet, env *Env, args []string) error {
	_, err := parseLayers(fs, env, args)
	return err
}
