package cli

import (
	"errors"
	"fmt"
	"testing"

	"navette"
	"navette/directory"
)

// TestOneLine: an error is one readable line, the message of the
// application error it holds in place of its code; a refused directory
// flow lists its problems separated as sentences, not run together.
func TestOneLine(t *testing.T) {
	flow := &directory.ParseError{Problems: []directory.Problem{
		{Line: 2, Message: `"not-an-email" is not a valid e-mail address`},
		{Line: 3, Message: "the line has 2 fields, the header 7"},
	}}
	for err, want := range map[error]string{
		navette.Errorf(navette.EINVALID, "The retention must be between 1 and 30 days."): "The retention must be between 1 and 30 days.",
		fmt.Errorf("sending: %w", navette.Errorf(navette.ENOTFOUND, "No such deposit.")): "sending: No such deposit.",
		fmt.Errorf("a\n  b"): "a b",
		navette.WrapError(navette.EINVALID, errors.New("open /x.pem: no such file or directory"), "The CA file cannot be read."): "The CA file cannot be read (open /x.pem: no such file or directory).",
		navette.WrapError(navette.EINTERNAL, errors.New("disk I/O error"), "reading the journal"):                                "reading the journal: disk I/O error",
		navette.WrapError(navette.EINTERNAL, errors.New("disk I/O error"), ""):                                                   "disk I/O error",
		flow: `The listing was refused and nothing was applied (2 problems): line 2: "not-an-email" is not a valid e-mail address; line 3: the line has 2 fields, the header 7.`,
	} {
		if got := oneLine(err); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", err, got, want)
		}
	}
}
