package navette

import "testing"

func TestParseReserve(t *testing.T) {
	const gib = 1 << 30
	for _, tt := range []struct {
		in      string
		want    Reserve
		of100G  int64 // Of(100 GiB)
		invalid bool
	}{
		{in: "5%/1GiB", want: Reserve{Percent: 5, Bytes: gib}, of100G: 5 * gib},
		{in: "1GiB/5%", want: Reserve{Percent: 5, Bytes: gib}, of100G: 5 * gib},
		{in: "0.5%/1GiB", want: Reserve{Percent: 0.5, Bytes: gib}, of100G: gib},
		{in: "10GiB", want: Reserve{Bytes: 10 * gib}, of100G: 10 * gib},
		{in: "10 gib", want: Reserve{Bytes: 10 * gib}, of100G: 10 * gib},
		{in: "2%", want: Reserve{Percent: 2}, of100G: 2 * gib},
		{in: "500MB", want: Reserve{Bytes: 500e6}, of100G: 500e6},
		{in: "4M", want: Reserve{Bytes: 4 << 20}, of100G: 4 << 20},
		{in: "1073741824", want: Reserve{Bytes: gib}, of100G: gib},
		{in: "0", want: Reserve{}, of100G: 0},
		{in: "100%", want: Reserve{Percent: 100}, of100G: 100 * gib},
		{in: "", invalid: true},
		{in: "5", want: Reserve{Bytes: 5}, of100G: 5},
		{in: "-1GiB", invalid: true},
		{in: "101%", invalid: true},
		{in: "-1%", invalid: true},
		{in: "NaN%", invalid: true},
		{in: "1e2%", invalid: true},
		{in: "5%/6%", invalid: true},
		{in: "1GiB/2GiB", invalid: true},
		{in: "5%/1GiB/2", invalid: true},
		{in: "1.5GiB", invalid: true},
		{in: "1PiB", invalid: true},
		{in: "99999999999TiB", invalid: true},
		{in: "GiB", invalid: true},
	} {
		got, err := ParseReserve(tt.in)
		if tt.invalid {
			if !IsCode(err, EINVALID) {
				t.Errorf("ParseReserve(%q) = %+v, %v; want EINVALID", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseReserve(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if of := got.Of(100 * gib); of != tt.of100G {
			t.Errorf("ParseReserve(%q).Of(100 GiB) = %d, want %d", tt.in, of, tt.of100G)
		}
		if back, err := ParseReserve(got.String()); err != nil || back != got {
			t.Errorf("ParseReserve(%q).String() = %q, which reads back as %+v, %v", tt.in, got.String(), back, err)
		}
	}
}

// FuzzParseReserve checks that ParseReserve never panics, that what it
// accepts is in range and reads back from its String.
func FuzzParseReserve(f *testing.F) {
	for _, s := range []string{"5%/1GiB", "10GiB", "2%", "0", "0.5%/500MB", "1e3%", "9223372036854775807", "99999TiB", "%/", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReserve(s)
		if err != nil {
			if !IsCode(err, EINVALID) {
				t.Fatalf("ParseReserve(%q): %v, want EINVALID", s, err)
			}
			return
		}
		if r.Bytes < 0 || !(r.Percent >= 0 && r.Percent <= 100) {
			t.Fatalf("ParseReserve(%q) = %+v: out of range", s, r)
		}
		if of := r.Of(1 << 40); of < r.Bytes || of < 0 {
			t.Fatalf("ParseReserve(%q).Of(1 TiB) = %d", s, of)
		}
		back, err := ParseReserve(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseReserve(%q) = %+v, String %q reads back as %+v, %v", s, r, r.String(), back, err)
		}
	})
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 100: "100 B", 1024: "1 KiB", 1536: "1.5 KiB", 1 << 30: "1 GiB", 5 << 40: "5 TiB", 64 << 20: "64 MiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("%d: got %q, want %q", n, got, want)
		}
	}
}
