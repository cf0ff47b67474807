package api

import (
	"testing"

	"navette"
)

// TestCodeInvertsStatus pins that every code survives the round trip
// through its status, so client and server agree.
func TestCodeInvertsStatus(t *testing.T) {
	for _, code := range []string{navette.ECONFLICT, navette.EFORBIDDEN, navette.EGONE, navette.EINTERNAL, navette.EINVALID,
		navette.ENOTFOUND, navette.ETOOLARGE, navette.ETOOMANY, navette.EUNAUTHORIZED, navette.EUNAVAILABLE, navette.ENOTIMPLEMENTED, navette.ENOSPACE} {
		if got := Code(Status(code)); got != code {
			t.Errorf("%q: Code(Status) = %q", code, got)
		}
	}
}
