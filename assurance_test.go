package navette

import "testing"

func TestMethodAssurance(t *testing.T) {
	for _, c := range []struct {
		method string
		want   Assurance
	}{
		{"passkey", AssuranceHigh},
		{"code+passkey", AssuranceHigh},
		{"code+totp", AssuranceSubstantial},
		{"oidc", AssuranceSubstantial},
		{"oidc:eidas2", AssuranceSubstantial},
		{"oidc:eidas1", AssuranceLow},
		{"oidc:eidas3", AssuranceHigh},
		{"oidc:urn:example:mfa", AssuranceSubstantial},
		{"token", AssuranceSubstantial},
		{"ldap", AssuranceLow},
		{"code", AssuranceLow},
		{"", AssuranceLow},
		{"something new", AssuranceLow},
	} {
		if got := MethodAssurance(c.method); got != c.want {
			t.Errorf("MethodAssurance(%q) = %q, want %q", c.method, got, c.want)
		}
	}
}

func TestParseAssurance(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Assurance
		ok   bool
	}{
		{"low", AssuranceLow, true},
		{" Substantial ", AssuranceSubstantial, true},
		{"HIGH", AssuranceHigh, true},
		{"", "", false},
		{"élevé", "", false},
		{"3", "", false},
	} {
		got, err := ParseAssurance(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseAssurance(%q) = %q, %v", c.in, got, err)
		}
		if err != nil && !IsCode(err, EINVALID) {
			t.Errorf("ParseAssurance(%q): %v, want EINVALID", c.in, err)
		}
	}
	if !AssuranceHigh.AtLeast(AssuranceSubstantial) || AssuranceLow.AtLeast(AssuranceSubstantial) || !AssuranceLow.AtLeast(AssuranceLow) {
		t.Error("AtLeast does not order the levels")
	}
}
