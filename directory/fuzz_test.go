package directory

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"navette"
	"navette/account"
)

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("cnbf;nom;prenom;barreau;email;statut;date_maj\n1;\"a\"\"b\";c;d;e@f.example;actif;\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		entries, err := Parse(bytes.NewReader(in), LawyersMapping())
		if err != nil {
			if code := navette.ErrorCode(err); code != navette.EINVALID {
				t.Fatalf("got %v (code %q), want %q", err, code, navette.EINVALID)
			}
			if entries != nil {
				t.Fatalf("got %d entries with an error", len(entries))
			}
			return
		}
		ids := map[string]bool{}
		emails := map[string]bool{}
		for _, e := range entries {
			if e.ExternalID == "" {
				t.Fatalf("line %d: empty external id", e.Line)
			}
			if account.ValidateEmail(e.Email) != nil || navette.NormalizeEmail(e.Email) != e.Email {
				t.Fatalf("line %d: invalid e-mail %q", e.Line, e.Email)
			}
			if e.Name == "" {
				t.Fatalf("line %d: empty name", e.Line)
			}
			if ids[e.ExternalID] || emails[e.Email] {
				t.Fatalf("line %d: %q or %q listed twice", e.Line, e.ExternalID, e.Email)
			}
			ids[e.ExternalID], emails[e.Email] = true, true
		}
	})
}
