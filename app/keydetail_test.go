package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
)

// TestKeyRotatedDetailWhole: the key.rotated event of a rotation by
// request, on a platform whose journal has a long name (90 characters,
// which makes its detail longer than 200), or an accented one, states the
// new verifier key whole and exactly (its bytes outside printable ASCII
// percent-encoded) and which key retired at which tree size: nothing is
// cut or lost.
func TestKeyRotatedDetailWhole(t *testing.T) {
	for _, origin := range []string{
		"tribunal-judiciaire-de-boulogne-sur-mer.justice.gouv.fr/echanges-securises/navette-journal",
		"tribunal-évry.justice.fr/navette-journal",
	} {
		t.Run(origin, func(t *testing.T) { testKeyRotatedDetail(t, origin) })
	}
}

func testKeyRotatedDetail(t *testing.T, origin string) {
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
	fields := strings.Fields(head)
	if len(fields) != 5 {
		t.Fatalf("key.rotated detail %q: want REQUEST journal KEY retired HASH at SIZE", d)
	}
	key, err := url.PathUnescape(fields[2])
	if err != nil || key != current {
		t.Errorf("key.rotated names the key %q, unescaped %q (%v); want %q", fields[2], key, err, current)
	}
	want := req.ID + " journal " + fields[2] + " retired " + strings.Split(old, "+")[1]
	if _, err := strconv.ParseInt(atText, 10, 64); err != nil || head != want || len(d) <= len(origin)+50 {
		t.Errorf("key.rotated detail (%d bytes):\n%s\nwant\n%s at SIZE", len(d), d, want)
	}
}
