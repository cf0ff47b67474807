package i18n

import (
	"fmt"
	"strings"
)

// Codes returns s with each character for which hidden reports true
// written as its code, <U+XXXX>: how receipts and attestations show, in
// text from users, what would hide or reorder what a reader sees (control
// and bidirectional characters, and whatever else hidden names).
func Codes(s string, hidden func(rune) bool) string {
	if !strings.ContainsFunc(s, hidden) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			fmt.Fprintf(&b, "<U+%04X>", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
