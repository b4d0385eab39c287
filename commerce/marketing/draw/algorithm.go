package draw

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
)

// The winner algorithm (livesell-draw-v1), documented in docs/marketing.md:
//
//  1. L is the entry list: the entrants' pseudonyms, deduplicated and
//     sorted bytewise ascending.
//  2. D = SHA-256 of L joined by "\n" (so any change to the list changes
//     every step below).
//  3. For i = 0, 1, …, n−1 (n = len L): H = SHA-256(seed ‖ D ‖ uint32be(i)),
//     r = the first 8 bytes of H as an unsigned big-endian integer,
//     j = i + r mod (n − i); swap L[i] and L[j]. L is now the draw's order.
//  4. The winners are the first W entrants of that order that the shop's
//     risk hook did not veto; the vetoed ones are published too.
//
// seed is the 32 bytes whose SHA-256 (hex) was published as the
// commitment when the draw opened.

// Order returns the draw's order of entries under seed: the first k places
// (k ≤ 0 or beyond the list: all of them).
func Order(seed []byte, entries []string, k int) []string {
	l := slices.Clone(entries)
	slices.Sort(l)
	l = slices.Compact(l)
	n := len(l)
	if k <= 0 || k > n {
		k = n
	}
	d := sha256.Sum256([]byte(strings.Join(l, "\n")))
	buf := make([]byte, 0, len(seed)+len(d)+4)
	for i := 0; i < k; i++ {
		buf = append(buf[:0], seed...)
		buf = append(buf, d[:]...)
		buf = binary.BigEndian.AppendUint32(buf, uint32(i))
		h := sha256.Sum256(buf)
		r := binary.BigEndian.Uint64(h[:8])
		j := i + int(r%uint64(n-i))
		l[i], l[j] = l[j], l[i]
	}
	return l[:k]
}

// Commitment is the published commitment to seed: hex SHA-256.
func Commitment(seed []byte) string {
	h := sha256.Sum256(seed)
	return hex.EncodeToString(h[:])
}

// Pseudonym is user's published id in a draw with secret salt: "p_" and 16
// hex digits of HMAC-SHA256(salt, user). The user learns it from the draw
// (GET /api/draws/{id}/me); nobody can link it to a user id without salt.
func Pseudonym(salt []byte, user string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(user))
	return "p_" + hex.EncodeToString(m.Sum(nil)[:8])
}
