package directory

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteText writes r for people: a line of counts, then one line per
// change in the report's order: "+" added, "~" updated (with the fields
// that changed), "-" revoked (with the reason), "↺" restored.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s: added %d, updated %d, revoked %d, restored %d, unchanged %d, ignored %d",
		r.Source, len(r.Added), len(r.Updated), len(r.Revoked), len(r.Restored), r.Unchanged, r.Ignored)
	if !r.Applied {
		bw.WriteString(" (not applied)")
	}
	bw.WriteString("\n")
	for _, s := range []struct {
		mark    string
		changes []Change
	}{{"+", r.Added}, {"~", r.Updated}, {"-", r.Revoked}, {"↺", r.Restored}} {
		for _, c := range s.changes {
			bw.WriteString(s.mark)
			if c.Line > 0 {
				fmt.Fprintf(bw, " line %d", c.Line)
			}
			fmt.Fprintf(bw, " id %s %s <%s>", c.ExternalID, c.Name, c.Email)
			switch {
			case c.Reason != "":
				fmt.Fprintf(bw, " (%s)", c.Reason)
			case len(c.Fields) > 0:
				fmt.Fprintf(bw, " (%s)", strings.Join(c.Fields, ", "))
			}
			bw.WriteString("\n")
		}
	}
	return bw.Flush()
}
