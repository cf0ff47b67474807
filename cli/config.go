package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// DefaultConfigFile is read by serve and doctor when it exists and no
// --config names another.
const DefaultConfigFile = "/etc/navette/navette.toml"

// Flags that are about the configuration itself, never set by the file.
const (
	flagConfig      = "config"
	flagPrintConfig = "print-config"
)

// secretEnv are the variables that carry secrets rather than settings:
// never in the file, never printed.
var secretEnv = []string{
	"NAVETTE_SMTP_PASSWORD", "NAVETTE_OIDC_CLIENT_SECRET", "NAVETTE_LDAP_BIND_PASSWORD",
	"NAVETTE_S3_ACCESS_KEY", "NAVETTE_S3_SECRET_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PGPASSWORD",
}

// envName is the variable that sets flag name.
func envName(name string) string {
	return "NAVETTE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// sources tells, for each flag, where its value came from: "command
// line", a variable's name, FILE:LINE, or "default".
type sources map[string]string

// parseLayers sets the flags of fs from, in order of precedence, the
// command line, NAVETTE_* variables, the configuration file (when fs has a
// --config flag) and the flags' defaults.
func parseLayers(fs *flag.FlagSet, env *Env, args []string) (sources, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, flagError(fs, err)
	}
	src := sources{}
	fs.Visit(func(f *flag.Flag) { src[f.Name] = "command line" })
	if err := applyEnv(fs, env, src); err != nil {
		return nil, err
	}
	if cf := fs.Lookup(flagConfig); cf != nil {
		if err := applyConfigFile(fs, cf.Value.String(), src[flagConfig] != "", src); err != nil {
			return nil, err
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if src[f.Name] == "" {
			src[f.Name] = "default"
		}
	})
	return src, nil
}

// commandLineOnly are the flags that lift a safeguard (directory import's
// --force lets a flow revoke more than --max-revoke of a directory): taken
// from the command line only, never from a NAVETTE_* variable, so that one
// left in an environment cannot lift the safeguard for every later run.
var commandLineOnly = map[string]bool{"force": true}

// applyEnv sets from their NAVETTE_* variables the flags of fs not set
// yet, but those of commandLineOnly, and notes in src which variable set
// each.
func applyEnv(fs *flag.FlagSet, env *Env, src sources) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if src[f.Name] != "" || err != nil || commandLineOnly[f.Name] {
			return
		}
		key := envName(f.Name)
		if v := env.Getenv(key); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = usageError("%s: %v", key, e)
			}
			src[f.Name] = key
		}
	})
	return err
}

// applyConfigFile sets from the file at path the flags not set yet; a
// missing file is an error only if it was named.
func applyConfigFile(fs *flag.FlagSet, path string, named bool, src sources) error {
	if path == "" {
		return nil
	}
	settings, err := readConfigFile(path, named)
	if err != nil {
		return err
	}
	for _, s := range settings {
		if err := applySetting(fs, fmt.Sprintf("%s:%d", path, s.Line), s, src); err != nil {
			return err
		}
	}
	return nil
}

// readConfigFile reads the settings of the configuration file at path; a
// missing file has none, unless it was named.
func readConfigFile(path string, named bool) ([]fileSetting, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) && !named {
		return nil, nil
	}
	if err != nil {
		return nil, usageError("configuration file: %v", err)
	}
	defer f.Close()
	settings, err := parseConfigFile(f)
	var ce *configError
	if errors.As(err, &ce) {
		return nil, usageError("%s:%d: %s", path, ce.Line, ce.Msg)
	}
	if err != nil {
		return nil, usageError("%s: %v", path, err)
	}
	return settings, nil
}

// applySetting checks setting s of the file, read at at, against its flag,
// and sets the flag unless the command line or the environment did.
func applySetting(fs *flag.FlagSet, at string, s fileSetting, src sources) error {
	fl := fs.Lookup(s.Key)
	if fl == nil || s.Key == flagConfig || s.Key == flagPrintConfig {
		return usageError("%s: unknown setting %q%s", at, s.Key, suggest(fs, s.Key))
	}
	if err := checkSettingValue(fl, at, s); err != nil {
		return err
	}
	if src[s.Key] != "" {
		return nil // the command line or the environment wins; the value is still checked
	}
	if err := fl.Value.Set(s.Text); err != nil {
		return usageError("%s: %s: %v", at, s.Key, unwrapFlagErr(err))
	}
	src[s.Key] = at
	return nil
}

// checkSettingValue checks that the value of setting s, read at at, is of
// the type its flag fl takes: for a duration, a string that is one.
func checkSettingValue(fl *flag.Flag, at string, s fileSetting) error {
	if want := flagKind(fl); want != s.Kind {
		hint := ""
		if isDuration(fl) {
			hint = ` (a duration in quotes, e.g. "30m")`
		}
		return usageError("%s: %s must be %s%s, not %s", at, s.Key, want, hint, s.Kind)
	}
	if isDuration(fl) {
		if _, err := time.ParseDuration(s.Text); err != nil {
			return usageError("%s: %s: %q is not a duration (e.g. \"90s\", \"30m\", \"1h30m\")", at, s.Key, s.Text)
		}
	}
	return nil
}

// unwrapFlagErr drops the strconv noise from a flag's parse error.
func unwrapFlagErr(err error) error {
	var ne interface{ Unwrap() error }
	if errors.As(err, &ne) && ne.Unwrap() != nil {
		return ne.Unwrap()
	}
	return err
}

// flagKind is the TOML type a flag's value takes in the file: durations
// are strings ("30m").
func flagKind(f *flag.Flag) valueKind {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return kindBool
	}
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64, uint, uint64:
			return kindInt
		}
	}
	return kindString
}

func isDuration(f *flag.Flag) bool {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	_, ok = g.Get().(time.Duration)
	return ok
}

// suggest names the flag closest to a mistyped key, if one is close.
func suggest(fs *flag.FlagSet, key string) string {
	best := nearestFlag(fs, strings.ReplaceAll(key, "_", "-"))
	if best == "" {
		return " (the names are those of the flags of \"navette serve --help\")"
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// nearestFlag is the name of the flag of fs nearest name, within two
// edits, or "" if none is.
func nearestFlag(fs *flag.FlagSet, name string) string {
	best, bestD := "", 3
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == flagConfig || f.Name == flagPrintConfig {
			return
		}
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// flagError is the usage error of err, an error of fs.Parse, naming flags
// with two dashes as the help and the documentation do, and an unknown
// flag with the nearest one.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		hint := ""
		if near := nearestFlag(fs, name); near != "" {
			hint = fmt.Sprintf(" (did you mean --%s?)", near)
		}
		return usageError("unknown flag --%s%s", name, hint)
	}
	for _, dash := range []string{"for flag -", "argument: -", "syntax: -"} {
		msg = strings.Replace(msg, dash, dash+"-", 1)
	}
	return usageError("%s", msg)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// printConfig writes the effective configuration as a configuration file,
// each line followed by where its value came from; passwords in URLs are
// masked, and the secret variables are only said to be set or not.
func printConfig(w io.Writer, fs *flag.FlagSet, src sources, env *Env) error {
	var b strings.Builder
	b.WriteString("# navette: the effective configuration (flag > NAVETTE_* > file > default)\n")
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != flagPrintConfig {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	for _, name := range names {
		line := name + " = " + configLiteral(fs.Lookup(name))
		if name == flagConfig {
			line = "# " + line
		}
		fmt.Fprintf(&b, "%-48s # %s\n", line, src[name])
	}
	writeSecretsState(&b, env)
	_, err := io.WriteString(w, b.String())
	return err
}

// configLiteral is the value of flag f as a configuration file gives it:
// booleans and integers bare, other values quoted, secrets in URLs masked.
func configLiteral(f *flag.Flag) string {
	v := f.Value.String()
	switch flagKind(f) {
	case kindBool, kindInt:
		return v
	}
	return quoteTOML(maskSecrets(v))
}

// writeSecretsState says of each secret variable whether it is set, never
// its value.
func writeSecretsState(b *strings.Builder, env *Env) {
	b.WriteString("# secrets, from the environment only:\n")
	for _, k := range secretEnv {
		state := "not set"
		if env.Getenv(k) != "" {
			state = "set (hidden)"
		}
		fmt.Fprintf(b, "#   %s: %s\n", k, state)
	}
}

// maskSecrets hides the password of a URL's user info, and the values of
// query parameters that name a secret.
func maskSecrets(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return v
	}
	changed := false
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
		changed = true
	}
	if u.RawQuery != "" {
		q := u.Query()
		if maskParams(q) {
			changed = true
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if !changed {
		return v
	}
	return u.String()
}

// maskParams hides the values of the query parameters that name a
// secret, and reports whether there were any.
func maskParams(q url.Values) bool {
	masked := false
	for k := range q {
		if secretParam(k) {
			q.Set(k, "xxxxx")
			masked = true
		}
	}
	return masked
}

// secretParam reports whether a query parameter's name says it holds a
// secret: a password, secret, token or key.
func secretParam(name string) bool {
	lk := strings.ToLower(name)
	return strings.Contains(lk, "pass") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") || lk == "key" || strings.HasSuffix(lk, "_key")
}
