package http

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"navette/directory"
)

// TestImportDirectoryTooLarge: a flow past the size bound is answered 413,
// not as a malformed flow. The bound is lowered here: the real one (256 MiB)
// would take a flow of hundreds of thousands of lawyers to reach.
func TestImportDirectoryTooLarge(t *testing.T) {
	defer func(n int64) { maxDirectoryBody = n }(maxDirectoryBody)
	maxDirectoryBody = 1 << 10
	s := &Server{Mappings: map[string]directory.Mapping{"lawyers": directory.LawyersMapping()}, Directory: &directory.Sync{}}
	flow := "cnbf;nom;prenom;barreau;email;statut;date_maj\n" + strings.Repeat("1;Nom;Prénom;Barreau;avocat@barreau.example;actif;2026-11-01\n", 100)
	r := httptest.NewRequest("POST", "/api/v1/admin/directories/lawyers/import", strings.NewReader(flow))
	r.SetPathValue("source", "lawyers")
	w := httptest.NewRecorder()
	s.handleImportDirectory(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "A directory flow may be at most") {
		t.Errorf("got %d %s, want 413", w.Code, w.Body)
	}
}
