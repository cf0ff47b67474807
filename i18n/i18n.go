// Package i18n formats what the interface and the e-mails say about
// numbers in the two languages navette speaks: plural forms by each
// language's rule, counts of things, sizes and grouped numbers. Every
// page and message uses it, so that a size or a count reads the same
// everywhere. It also holds the French words for sign-in methods and
// assurance levels that attestations and receipts share, and the name of
// every type of journal event, for whatever shows one to a person.
package i18n

import (
	"fmt"
	"strconv"
	"strings"

	"navette"
)

// nbsp is the no-break space between a number and its unit; nnbsp, the
// narrow no-break space that groups the thousands of a French number.
const (
	nbsp  = "\u00a0"
	nnbsp = "\u202f"
)

// One reports whether n takes the singular in lang. French (CLDR rule
// "one": i = 0,1) puts 0 and 1 in the singular: "0 fichier", "1 fichier";
// English only 1: "0 files", "1 file".
func One(lang string, n int64) bool {
	if lang == navette.LangEnglish {
		return n == 1
	}
	return n == 0 || n == 1
}

// Plural returns one or other, whichever n takes in lang.
func Plural(lang string, n int64, one, other string) string {
	if One(lang, n) {
		return one
	}
	return other
}

// Count returns n, grouped, and the noun in the form it takes:
// "1 fichier", "1 000 fichiers", "2 files".
func Count(lang string, n int64, one, other string) string {
	return Number(lang, n) + nbsp + Plural(lang, n, one, other)
}

// Number writes n with its thousands grouped: "1 024" (narrow no-break
// spaces) in French, "1,024" in English. Numbers under 10,000 are grouped
// too, as the French administration's style guide asks for tables.
func Number(lang string, n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := nnbsp
	if lang == navette.LangEnglish {
		sep = ","
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Size shows a size in bytes in decimal (SI) units, with one decimal
// under 100 and a no-break space before the unit: "1,1 Go", "532 Mo",
// "1 octet" in French; "1.1 GB", "532 MB", "1 byte" in English.
func Size(lang string, n int64) string {
	units := []string{"octet", "ko", "Mo", "Go", "To", "Po"}
	if lang == navette.LangEnglish {
		units = []string{"byte", "kB", "MB", "GB", "TB", "PB"}
	}
	if n < 1000 {
		if n < 0 {
			n = 0
		}
		return Count(lang, n, units[0], units[0]+"s")
	}
	v := float64(n)
	i := 0
	for v >= 999.95 && i < len(units)-1 {
		v /= 1000
		i++
	}
	s := fmt.Sprintf("%.1f", v)
	if v >= 99.95 {
		s = fmt.Sprintf("%.0f", v)
	}
	s = strings.TrimSuffix(s, ".0")
	if lang != navette.LangEnglish {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + nbsp + units[i]
}
