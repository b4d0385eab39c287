package signaling

import (
	"strings"
	"testing"

	"github.com/livesell/livesell/internal/roomid"
)

// FuzzValidSource: a source name that passes is 1 to 32 of a-z 0-9 _ -,
// and its media room can never be a real room's (nor another room's
// source): the name splits back at the one "~".
func FuzzValidSource(f *testing.F) {
	for _, s := range []string{"backstage", "cam-2", "", "Back", "a~b", "a/b", strings.Repeat("a", 33), "../x", "x\x00"} {
		f.Add("show-1", s)
	}
	f.Fuzz(func(t *testing.T, room, src string) {
		if !validSource(src) {
			return
		}
		if len(src) > maxSourceLen || strings.ContainsAny(src, "~/.%?#\x00 ") || strings.ToLower(src) != src {
			t.Fatalf("validSource(%q) passed", src)
		}
		if !roomid.Valid(room) {
			return
		}
		media := sourceRoom(room, src)
		if roomid.Valid(media) || strings.Count(media, "~") != 1 {
			t.Fatalf("sourceRoom(%q, %q) = %q could be another room", room, src, media)
		}
		if r, s, _ := strings.Cut(media, "~"); r != room || s != src {
			t.Fatalf("sourceRoom(%q, %q) = %q does not split back", room, src, media)
		}
	})
}
