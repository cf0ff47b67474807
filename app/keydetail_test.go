package app_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
)

// TestKeyRotatedDetailWhole: the key.rotated event of a rotation by
// request, on a platform whose journal has a long name (90 characters,
// which makes its detail longer than 200), states the new verifier key
// whole and which key retired at which tree size: nothing is cut.
func TestKeyRotatedDetailWhole(t *testing.T) {
	const origin = "tribunal-judiciaire-de-boulogne-sur-mer.justice.gouv.fr/echanges-securises/navette-journal"
	e := newEnv(t, func(c *app.Config) { c.JournalOrigin = origin })
	first := e.user("premier.admin@justice.example", "Premier admin", navette.RoleAdmin)
	second := e.user("second.admin@justice.example", "Second admin", navette.RoleAdmin)
	old, err := e.app.JournalKeys.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	var req api.Request
	e.doJSON("POST", api.PathAdminKeyRotate, first, api.KeyRotate{Key: "journal", Reason: "fin de mission"}, http.StatusAccepted, &req)
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", second, api.Approve{SHA256: req.SHA256}, 200, &req)
	current, err := e.app.JournalKeys.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	evs := e.events("", navette.EventKeyRotated)
	if len(evs) == 0 {
		t.Fatal("no key.rotated event")
	}
	d := evs[len(evs)-1].Detail
	head, atText, _ := strings.Cut(d, " at ")
	want := req.ID + " journal " + current + " retired " + strings.Split(old, "+")[1]
	if _, err := strconv.ParseInt(atText, 10, 64); err != nil || head != want || len(d) <= 200 {
		t.Errorf("key.rotated detail (%d bytes):\n%s\nwant\n%s at SIZE", len(d), d, want)
	}
}
