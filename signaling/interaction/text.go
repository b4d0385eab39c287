package interaction

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// cleanRune maps a rune of user text: control characters and line or
// paragraph separators become spaces; format characters (Unicode category
// Cf: bidi overrides such as U+202E, zero-width spaces and joiners, the
// BOM) are removed, so a name or comment cannot reorder or hide what
// other viewers read.
func cleanRune(r rune) rune {
	switch {
	case unicode.Is(unicode.Cf, r):
		return -1
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return ' '
	}
	return r
}

// cleanText trims and cleans text and checks its length in characters.
func cleanText(s string, maxRunes int) (string, error) {
	s = strings.TrimSpace(strings.Map(cleanRune, s))
	if s == "" {
		return "", protocol.Errorf(protocol.CodeInvalidMessage, "text is empty")
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return "", protocol.Errorf(protocol.CodeTooLong, "text is %d characters, at most %d", n, maxRunes)
	}
	return s, nil
}

// displayName cleans a display name and cuts it to 32 characters.
func displayName(s string) string {
	s = strings.TrimSpace(strings.Map(cleanRune, s))
	if utf8.RuneCountInString(s) > 32 {
		r := []rune(s)
		return string(r[:32])
	}
	return s
}

// PseudonymPrefix starts every pseudonymous user id.
const PseudonymPrefix = "p-"

// pseudonym is the user id viewers of room see for user: stable in the
// room (and across nodes sharing key), different between rooms, and not
// reversible without key. The anchor and the operator keep their ids.
func pseudonym(key []byte, room, user string) string {
	if user == "admin" || strings.HasPrefix(user, "anchor:") {
		return user
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(room))
	mac.Write([]byte{0})
	mac.Write([]byte(user))
	var sum [sha256.Size]byte
	return PseudonymPrefix + hex.EncodeToString(mac.Sum(sum[:0])[:8])
}
