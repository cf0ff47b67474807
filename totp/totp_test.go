package totp

import (
	"strings"
	"testing"
	"time"
)

// TestRFC6238 checks the SHA-1 test vectors of RFC 6238, appendix B (8
// digits there; the 6-digit code is their last six).
func TestRFC6238(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, tt := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		step := Step(time.Unix(tt.unix, 0))
		if got := hotp(secret, uint64(step), 8); got != tt.want {
			t.Errorf("%d: got %q, want %q", tt.unix, got, tt.want)
		}
		if got := Code(secret, step); got != tt.want[2:] {
			t.Errorf("%d: 6 digits: got %q, want %q", tt.unix, got, tt.want[2:])
		}
	}
}

func TestVerify(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1_800_000_000, 0)
	cur := Step(now)
	tests := []struct {
		name   string
		code   string
		last   int64
		ok     bool
		step   int64
		reused bool
	}{
		{"current", Code(secret, cur), 0, true, cur, false},
		{"spaced", Code(secret, cur)[:3] + " " + Code(secret, cur)[3:], 0, true, cur, false},
		{"previous step", Code(secret, cur-1), 0, true, cur - 1, false},
		{"next step", Code(secret, cur+1), 0, true, cur + 1, false},
		{"two steps old", Code(secret, cur-2), 0, false, 0, false},
		{"replayed", Code(secret, cur), cur, false, 0, true},
		{"older than last", Code(secret, cur-1), cur - 1, false, 0, true},
		{"wrong after a use", Code(secret, cur-2), cur, false, 0, false},
		{"short", "12345", 0, false, 0, false},
		{"letters", "abcdef", 0, false, 0, false},
	}
	for _, tt := range tests {
		step, ok := Verify(secret, tt.code, now, tt.last)
		if ok != tt.ok || step != tt.step {
			t.Errorf("%q: got %d, %v, want %d, %v", tt.name, step, ok, tt.step, tt.ok)
		}
		if r := Reused(secret, tt.code, now, tt.last); r != tt.reused {
			t.Errorf("%q: Reused %v, want %v", tt.name, r, tt.reused)
		}
	}
}

func TestURI(t *testing.T) {
	got := URI([]byte("12345678901234567890"), "navette", "marie@avocat.example")
	want := "otpauth://totp/navette:marie@avocat.example?algorithm=SHA1&digits=6&issuer=navette&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// FuzzVerify feeds codes as people type them: only the right code at an
// allowed step passes.
func FuzzVerify(f *testing.F) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1_800_000_000, 0)
	f.Add(Code(secret, Step(now)))
	f.Add("")
	f.Add("000000")
	f.Add(" 123 456 ")
	f.Fuzz(func(t *testing.T, code string) {
		step, ok := Verify(secret, code, now, 0)
		if !ok {
			return
		}
		if step < Step(now)-Skew || step > Step(now)+Skew || Code(secret, step) != strings.ReplaceAll(strings.TrimSpace(code), " ", "") {
			t.Fatalf("%q accepted at step %d", code, step)
		}
	})
}
