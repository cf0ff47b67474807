package directory

import (
	"bufio"
	"encoding/json"
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

// reportJSON is the JSON form of a Report.
type reportJSON struct {
	Source   string     `json:"source"`
	Applied  bool       `json:"applied"`
	Counts   countsJSON `json:"counts"`
	Added    []Change   `json:"added"`
	Updated  []Change   `json:"updated"`
	Revoked  []Change   `json:"revoked"`
	Restored []Change   `json:"restored"`
}

type countsJSON struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Revoked   int `json:"revoked"`
	Restored  int `json:"restored"`
	Unchanged int `json:"unchanged"`
	Ignored   int `json:"ignored"`
}

// MarshalJSON encodes r for the admin API: source, applied, counts (added,
// updated, revoked, restored, unchanged, ignored) and the lists of changes, never
// null.
func (r Report) MarshalJSON() ([]byte, error) {
	nonNil := func(c []Change) []Change {
		if c == nil {
			return []Change{}
		}
		return c
	}
	return json.Marshal(reportJSON{
		Source:  r.Source,
		Applied: r.Applied,
		Counts: countsJSON{Added: len(r.Added), Updated: len(r.Updated), Revoked: len(r.Revoked),
			Restored: len(r.Restored), Unchanged: r.Unchanged, Ignored: r.Ignored},
		Added: nonNil(r.Added), Updated: nonNil(r.Updated), Revoked: nonNil(r.Revoked), Restored: nonNil(r.Restored),
	})
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (r *Report) UnmarshalJSON(b []byte) error {
	var v reportJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Report{Source: v.Source, Applied: v.Applied, Unchanged: v.Counts.Unchanged, Ignored: v.Counts.Ignored,
		Added: v.Added, Updated: v.Updated, Revoked: v.Revoked, Restored: v.Restored}
	return nil
}
