package cli

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestHelpOfEveryCommand: "-h" of every command and subcommand exits 0
// and prints its usage, a paragraph saying what it does, and each flag
// with a text and the NAVETTE_* variable that also sets it.
func TestHelpOfEveryCommand(t *testing.T) {
	groups := maps.Clone(groupSubcommands)
	for name := range adminCommands {
		groups["admin"] = append(groups["admin"], name)
	}
	var calls [][]string
	for name := range commands {
		subs, group := groups[name]
		if !group {
			calls = append(calls, []string{name})
		}
		for _, sub := range subs {
			calls = append(calls, append([]string{name}, strings.Fields(sub)...))
		}
	}
	slices.SortFunc(calls, func(a, b []string) int { return strings.Compare(strings.Join(a, " "), strings.Join(b, " ")) })
	for _, call := range calls {
		r := runCLI(t, nil, false, append(call, "-h")...)
		if problem := helpProblem(r); problem != "" {
			t.Errorf("%q: got %s in %d %q", strings.Join(call, " ")+" -h", problem, r.code, r.stderr)
		}
	}
}

// helpProblem says what is wrong with the help r printed, "" if nothing.
func helpProblem(r run) string {
	usage, rest, _ := strings.Cut(r.stderr, "\n")
	about, flags, found := strings.Cut(rest, "\nFlags:\n")
	switch {
	case r.code != 0:
		return "a failure"
	case !strings.HasPrefix(usage, "Usage: navette "):
		return "no usage line"
	case !strings.HasPrefix(about, "\n") || strings.TrimSpace(about) == "":
		return "no paragraph saying what it does"
	case !found:
		return "no list of flags"
	}
	lines := strings.Split(strings.TrimSuffix(flags, "\n"), "\n")
	for i := 0; i < len(lines); i += 2 {
		name, _, _ := strings.Cut(strings.TrimPrefix(lines[i], "  --"), " ")
		if !strings.HasPrefix(lines[i], "  --") || i+1 == len(lines) || !strings.HasPrefix(lines[i+1], "    \t") {
			return "a flag not followed by its text: " + lines[i]
		}
		if commandLineOnly[name] {
			if !strings.Contains(lines[i+1], "command line only") || strings.Contains(lines[i+1], envName(name)) {
				return "--" + name + " not said to be taken from the command line only"
			}
			continue
		}
		if !strings.Contains(lines[i+1], envName(name)) {
			return "no " + envName(name) + " for --" + name
		}
	}
	return ""
}

// TestDocsNameOnlyFlagsThatExist: every command line of the README and of
// docs/ ("navette COMMAND … --flag …") names only flags the command has,
// as its help lists them.
func TestDocsNameOnlyFlagsThatExist(t *testing.T) {
	docs, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	command := regexp.MustCompile("(?:^|[`\\s(|;$])navette ([a-z]+ [^`\\n]*)")
	flagName := regexp.MustCompile(`^--([a-z0-9-]+)`)
	helps := map[string][]string{}
	seen := 0
	for _, doc := range append(docs, "../README.md") {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range command.FindAllStringSubmatch(line, -1) {
				path, rest := commandPath(strings.Fields(m[1]))
				if path == nil {
					continue
				}
				key := strings.Join(path, " ")
				if _, ok := helps[key]; !ok {
					helps[key] = helpFlags(runCLI(t, nil, false, append(path, "-h")...).stderr)
				}
				seen++
				for _, w := range rest {
					if w == "#" || w == "|" || w == ">" || w == "&&" {
						break
					}
					if f := flagName.FindStringSubmatch(w); f != nil && !slices.Contains(helps[key], f[1]) {
						t.Errorf("%s:%d: got navette %s --%s, want one of its flags %q", doc, i+1, key, f[1], helps[key])
					}
				}
			}
		}
	}
	if seen < 50 {
		t.Errorf("got %d command lines in the documentation, want at least 50", seen)
	}
}

// commandPath splits the words after "navette" into the command they name
// (one word, two for a group's subcommand, three for some of admin's) and
// the rest; nil if they name none.
func commandPath(words []string) (path, rest []string) {
	groups := groupSubcommands
	switch {
	case words[0] == "admin" && len(words) > 2 && adminCommands[words[1]+" "+words[2]] != nil:
		return words[:3], words[3:]
	case words[0] == "admin" && len(words) > 1 && adminCommands[words[1]] != nil:
		return words[:2], words[2:]
	case groups[words[0]] != nil && len(words) > 1 && slices.Contains(groups[words[0]], words[1]):
		return words[:2], words[2:]
	case words[0] != "admin" && groups[words[0]] == nil && commands[words[0]].run != nil:
		return words[:1], words[1:]
	}
	return nil, nil
}

// helpFlags returns the flags a command's help lists.
func helpFlags(help string) []string {
	var names []string
	for _, line := range strings.Split(help, "\n") {
		if name, ok := strings.CutPrefix(line, "  --"); ok {
			name, _, _ = strings.Cut(name, " ")
			names = append(names, name)
		}
	}
	return names
}

// TestBadFlagSaidOnce: a bad flag is said once, on the last line, with two
// dashes as the help names flags, and an unknown flag with the nearest
// one; the usage is printed above it.
func TestBadFlagSaidOnce(t *testing.T) {
	for _, tt := range []struct {
		args []string
		last string
	}{
		{[]string{"inbox", "--boxx", "sent"}, "navette inbox: unknown flag --boxx (did you mean --box?)"},
		{[]string{"inbox", "--zzzzzz"}, "navette inbox: unknown flag --zzzzzz"},
		{[]string{"extend", "x", "--days", "abc"}, `navette extend: invalid value "abc" for flag --days: parse error`},
		{[]string{"extend", "x", "--days"}, "navette extend: flag needs an argument: --days"},
	} {
		r := runCLI(t, nil, false, tt.args...)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if r.code != 2 || lines[len(lines)-1] != tt.last || !strings.HasPrefix(r.stderr, "Usage: navette ") {
			t.Errorf("%q: got %d %q, want 2 and the usage, then %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.last)
		}
		if n := strings.Count(r.stderr, strings.TrimPrefix(tt.last, "navette "+tt.args[0]+": ")); n != 1 {
			t.Errorf("%q: the error is said %d times in %q", strings.Join(tt.args, " "), n, r.stderr)
		}
	}
}
