package notify_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// straightApostrophe is a straight apostrophe between two letters: French
// mails write the typographic one (l’avocat, n’a, aujourd’hui).
var straightApostrophe = regexp.MustCompile(`\pL'\pL`)

// TestFrenchTemplatesUseTypographicApostrophe checks that no French
// template, subject or body, text or HTML, holds a straight apostrophe
// between two letters: the mails of one language write it one way.
func TestFrenchTemplatesUseTypographicApostrophe(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("templates", "fr*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no French template found: %v", err)
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := straightApostrophe.FindString(line); m != "" {
				t.Errorf("%s:%d: %q has a straight apostrophe, write ’", path, i+1, m)
			}
		}
	}
}
