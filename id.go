package navette

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// idEncoding is lower-case base32 without padding: URL- and file-system-safe,
// case-insensitive, and free of characters that need escaping.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// IDLen is the length of every identifier navette makes: 160 random bits.
const IDLen = 32

// NewID returns a new random identifier of 160 bits (32 characters). Ids are
// never sequential, so guessing one is hopeless.
func NewID() string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("navette: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the shape of an identifier made by NewID.
// Anything else can be refused before it reaches storage.
func ValidID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// NormalizeEmail returns the canonical form of an e-mail address: trimmed and
// lower-cased, so that addresses match without regard to case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
