// Package roomid is the one rule for room ids, shared by every capability
// that reads one from outside (signaling, interaction, commerce, web).
package roomid

// MaxLen is the longest room id.
const MaxLen = 64

// Rule says the rule in words, for error messages.
const Rule = "a room id is 1 to 64 characters of A-Z a-z 0-9 _ -"

// Valid reports whether id may name a room: 1 to MaxLen ASCII letters,
// digits, '-' or '_'. Room ids appear in URLs, Redis keys and NATS
// subjects, so nothing else is allowed (no '.', which NATS splits on).
func Valid(id string) bool {
	if id == "" || len(id) > MaxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
