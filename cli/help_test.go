package cli

import (
	"slices"
	"strings"
	"testing"
)

// TestHelpOfEveryCommand: "-h" of every command and subcommand exits 0
// and prints its usage, a paragraph saying what it does, and each flag
// with a text and the NAVETTE_* variable that also sets it.
func TestHelpOfEveryCommand(t *testing.T) {
	groups := map[string][]string{"case": {"ls", "show", "get", "evidence"}, "mail": {"ls", "show"}, "directory": {"import"}}
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
		if !strings.Contains(lines[i+1], envName(name)) {
			return "no " + envName(name) + " for --" + name
		}
	}
	return ""
}
