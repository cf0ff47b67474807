package keyring_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"navette/keyring"
)

// TestSumAll checks that SumAll gives the active key's digest first, one
// digest per key, each verifying, and after a rotation still the old one.
func TestSumAll(t *testing.T) {
	m, err := keyring.OpenMAC(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("case\x00parquet2612345")
	first := m.SumAll(msg)
	if len(first) != 1 || !bytes.Equal(first[0], m.Sum(msg)) {
		t.Fatalf("SumAll = %x, want [Sum] = %x", first, m.Sum(msg))
	}
	if _, err := m.Rotate(); err != nil {
		t.Fatal(err)
	}
	all := m.SumAll(msg)
	if len(all) != 2 || !bytes.Equal(all[0], m.Sum(msg)) || !bytes.Equal(all[1], first[0]) {
		t.Fatalf("after rotation SumAll = %x; want the new digest %x then the old %x", all, m.Sum(msg), first[0])
	}
	for _, d := range all {
		if !m.Verify(msg, d) {
			t.Errorf("digest %x does not verify", d)
		}
	}
	if bytes.Equal(m.SumAll([]byte("other"))[0], all[0]) {
		t.Error("two messages have the same digest")
	}
}
