package cli

import (
	"flag"
	"strings"

	"navette/client"
)

// parseClient parses args into fs, checks its arguments with arg, and
// returns what arg kept of them and the client the flags cf name: the
// start of every command that asks the server one thing.
func (f *clientFlags) parseClient(fs *flag.FlagSet, env *Env, args []string, arg func(*flag.FlagSet) (string, error)) (string, *client.Client, error) {
	if err := parseInterspersed(fs, env, args); err != nil {
		return "", nil, err
	}
	a, err := arg(fs)
	if err != nil {
		return "", nil, err
	}
	c, err := f.client(env)
	if err != nil {
		return "", nil, err
	}
	return a, c, nil
}

// oneArg checks that there is exactly one argument, and keeps it; missing
// says what the usage error says otherwise.
func oneArg(missing string) func(*flag.FlagSet) (string, error) {
	return func(fs *flag.FlagSet) (string, error) {
		if fs.NArg() != 1 {
			return "", usageError("%s", missing)
		}
		return fs.Arg(0), nil
	}
}

// noArg checks that there is no argument.
func noArg(fs *flag.FlagSet) (string, error) {
	if fs.NArg() > 0 {
		return "", usageError("unexpected argument %q", printable(fs.Arg(0), 60))
	}
	return "", nil
}

// requireFlags returns the usage error that names the flags of fs, names
// without their dashes, when any of them is empty ("--data and --out are
// required"), and nil when all are set.
func requireFlags(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if fs.Lookup(n).Value.String() != "" {
			continue
		}
		dashed := make([]string, len(names))
		for i, n := range names {
			dashed[i] = "--" + n
		}
		if len(names) == 1 {
			return usageError("%s is required", dashed[0])
		}
		last := len(dashed) - 1
		return usageError("%s and %s are required", strings.Join(dashed[:last], ", "), dashed[last])
	}
	return nil
}
