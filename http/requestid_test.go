package http

import "testing"

func TestWellFormedRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"0680c28d00b8a458":       true,
		"client-chosen-id.42":    true,
		"a_b-c.d1":               true,
		"short":                  false,
		"":                       false,
		"not well formed!":       false,
		"id\nwith-a-newline":     false,
		"quote\"inside-it":       false,
		"é-accented-id":          false,
		string(make([]byte, 65)): false,
		"0123456789012345678901234567890123456789012345678901234567890123":  true,
		"01234567890123456789012345678901234567890123456789012345678901234": false,
	} {
		if got := wellFormedRequestID(id); got != want {
			t.Errorf("wellFormedRequestID(%q) = %v, want %v", id, got, want)
		}
	}
}
