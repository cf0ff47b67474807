package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"navette"
)

// TestUploadRefusalsInFrench: the refusals an upload meets (a full
// storage, a take-over, a file too large, tusd's own) read in French, as
// the new-deposit form shows them, and as they are in English; a full
// storage's message the web does not know still reads French.
func TestUploadRefusalsInFrench(t *testing.T) {
	h := &Handler{}
	for _, c := range []struct {
		err  error
		want string
	}{
		{navette.Errorf(navette.ENOSPACE, "The server does not have room for a file of %s now; try again later.", "1.1 GB"),
			"La plateforme n’a pas la place pour un fichier de 1.1 GB pour le moment ; réessayez plus tard."},
		{navette.Errorf(navette.ENOSPACE, "The server's storage is full; try again later."), "Le stockage de la plateforme est plein pour le moment ; réessayez plus tard."},
		{navette.Errorf(navette.ENOSPACE, "Something new."), "L’espace de stockage de la plateforme est plein pour le moment ; réessayez plus tard."},
		{navette.Errorf(navette.ECONFLICT, "Another request is writing this upload; retry with HEAD to find the offset."),
			"Ce fichier est déjà en cours d’envoi par une autre connexion ; réessayez dans un instant."},
		{navette.Errorf(navette.ETOOLARGE, "Files may be at most %s (%d bytes); this one has %d bytes.", "64 MiB", 67108864, 67108865),
			"Un fichier fait au plus 64 MiB (67108864 octets) ; celui-ci en fait 67108865."},
		{navette.Errorf(navette.ETOOLARGE, "maximum size exceeded"), "Le fichier dépasse la taille maximale permise."},
	} {
		if got := h.message(navette.LangFrench, c.err); got != c.want {
			t.Errorf("%q: got %q, want %q", navette.ErrorMessage(c.err), got, c.want)
		}
		if got := h.message(navette.LangEnglish, c.err); got != navette.ErrorMessage(c.err) {
			t.Errorf("%q in English: got %q", navette.ErrorMessage(c.err), got)
		}
	}
}

// TestUploadRefusalsExist: each refusal uploadFrench and uploadFormats
// translate is one the code makes (deposit, http, disk), or one of tusd's,
// so that a reworded message does not silently fall back to English.
func TestUploadRefusalsExist(t *testing.T) {
	var src strings.Builder
	for _, dir := range []string{"../deposit", "../http", "../disk"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	tusd := map[string]bool{"maximum size exceeded": true, "upload's size exceeded": true, "upload not found": true, "mismatched offset": true,
		"file currently locked": true, "upload has been interrupted by another request for this upload resource": true}
	for _, m := range []map[string]string{uploadFrench, uploadFormats} {
		for en := range m {
			if !tusd[en] && !strings.Contains(src.String(), `"`+en+`"`) {
				t.Errorf("%q is in no source of deposit, http or disk", en)
			}
		}
	}
}
