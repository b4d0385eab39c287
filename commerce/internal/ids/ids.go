// Package ids makes the TEXT ids of commerce rows: a prefix, the creation
// time in milliseconds (so ids sort by age) and 64 random bits.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// New returns prefix + 12 hex digits of unix milliseconds + 16 random hex digits.
func New(prefix string) string {
	var b [14]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	rand.Read(b[6:])
	return prefix + hex.EncodeToString(b[:])
}

// Valid reports whether s is a plausible client-supplied id: 1 to 64 bytes
// of letters, digits, '-', '_' or '.'.
func Valid(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
