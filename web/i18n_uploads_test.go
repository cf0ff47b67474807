package web

import (
	"strings"
	"testing"

	"navette"
)

// TestRefusalsOfStateInFrench: the refusals of a submission or a discard
// of a deposit that is no longer a draft (a second tab, a lost answer),
// and of an upload whose lock another request holds, read in French on a
// French page, for every state a deposit can be in but draft.
func TestRefusalsOfStateInFrench(t *testing.T) {
	var msgs []string
	for _, st := range []navette.DepositState{navette.DepositChecking, navette.DepositAvailable, navette.DepositRevoked, navette.DepositExpired} {
		msgs = append(msgs,
			"Only a draft can be submitted; this deposit is "+string(st)+".",
			"Only a draft can be discarded; this deposit is "+string(st)+".")
	}
	msgs = append(msgs, "Another request is still writing to this upload: try again in a moment.")
	h := &Handler{}
	for _, m := range msgs {
		got := h.message(navette.LangFrench, navette.Errorf(navette.ECONFLICT, "%s", m))
		if strings.Contains(got, m) {
			t.Errorf("%q: got %q, want it in French", m, got)
		}
	}
}
