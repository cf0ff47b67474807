package app_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"navette/api"
)

// TestCaseDepositPagesAPI reads a case's deposits a page at a time through
// GET /api/v1/cases/{id}: the cursor of each page gives the next, none is
// missing or twice, and a bad limit or cursor is refused (422).
func TestCaseDepositPagesAPI(t *testing.T) {
	e := newEnv(t)
	var want []string
	caseID := ""
	for range 5 {
		e.clock.Advance(time.Second)
		d := e.send(map[string][]byte{"a.txt": []byte("pièce")})
		want = append([]string{d.ID}, want...)
		if caseID == "" {
			caseID = d.CaseID
		} else if d.CaseID != caseID {
			t.Fatalf("deposit %s in case %s, want %s", d.ID, d.CaseID, caseID)
		}
	}
	var got []string
	before, pages := "", 0
	for {
		path := api.PathCases + "/" + caseID + "?limit=2"
		if before != "" {
			path += "&before=" + before
		}
		var k api.Case
		e.doJSON("GET", path, e.lawyer, nil, http.StatusOK, &k)
		pages++
		for _, d := range k.Deposits {
			got = append(got, d.ID)
			if d.Direction != "received" || len(d.Files) != 1 {
				t.Errorf("deposit %s: direction %s, %d files", d.ID, d.Direction, len(d.Files))
			}
		}
		if k.Next == "" {
			break
		}
		before = k.Next
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("%d pages of %q, want 3 of %q", pages, got, want)
	}
	for _, q := range []string{"?limit=0", "?limit=201", "?before=x"} {
		resp, b := e.do("GET", api.PathCases+"/"+caseID+q, e.lawyer, nil)
		e.problem(resp, b, http.StatusUnprocessableEntity)
	}
	resp, b := e.do("GET", api.PathCases+"/"+caseID+"?limit=2", e.stranger, nil)
	e.problem(resp, b, http.StatusNotFound)
}
