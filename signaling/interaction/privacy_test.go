package interaction

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// Viewers never see another viewer's user id: each danmaku carries a
// pseudonym, stable in the room and different in another room; the anchor
// and the operator see the real id (they mute and ban by it).
func TestDanmakuPseudonyms(t *testing.T) {
	b := testenv.Backends(t, testenv.Embedded)
	h := newHub(t, b, testenv.Namespace(t), newFakeRooms("room-a", "room-b"), nil)
	base := serveHub(t, h)
	join := func(room, name string, hello map[string]any) *client {
		c := wsClient(t, base, "/ws/rooms/"+room, name, hello)
		c.WaitFor("welcome", 10*time.Second, isType("welcome"))
		return c
	}
	alice := join("room-a", "alice", hello(t, "alice"))
	bob := join("room-a", "bob", hello(t, "bob"))
	anon := join("room-a", "anon", map[string]any{"type": "hello"})
	anchor := join("room-a", "anchor", map[string]any{"type": "hello", "push_key": pushKey("room-a")})
	admin := join("room-a", "admin", map[string]any{"type": "hello", "token": testAdminToken})
	elsewhere := join("room-b", "bob-in-b", hello(t, "bob"))
	aliceB := join("room-b", "alice-in-b", hello(t, "alice"))

	alice.SendJSON(map[string]any{"type": "danmaku", "text": "hi from a"})
	aliceB.SendJSON(map[string]any{"type": "danmaku", "text": "hi from b"})
	sender := func(c *client, text string) string {
		t.Helper()
		return c.WaitDanmaku(text, 10*time.Second)["user"].(string)
	}
	pa, pb := sender(bob, "hi from a"), sender(elsewhere, "hi from b")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"viewer sees a pseudonym", pa, pseudonym(h.opts.PseudonymKey, "room-a", "alice")},
		{"anonymous viewer sees the same pseudonym", sender(anon, "hi from a"), pa},
		{"the sender sees itself under the id its welcome gave it", sender(alice, "hi from a"), alice.Find(isType("welcome"))["you"].(map[string]any)["user_id"].(string)},
		{"the anchor sees the real id", sender(anchor, "hi from a"), "alice"},
		{"the operator sees the real id", sender(admin, "hi from a"), "alice"},
		{"another room, another pseudonym", pb, pseudonym(h.opts.PseudonymKey, "room-b", "alice")},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: user = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if !strings.HasPrefix(pa, PseudonymPrefix) || pa == pb || strings.Contains(pa, "alice") {
		t.Fatalf("pseudonyms %q (room a) and %q (room b) must differ and hide the id", pa, pb)
	}
	// The recent danmaku of a late joiner's welcome are pseudonymous too.
	late := join("room-a", "late", hello(t, "carol"))
	for _, d := range anySlice(late.Find(isType("welcome"))["recent"]) {
		if u := d.(map[string]any)["user"]; u != pa {
			t.Fatalf("welcome recent shows user %v, want %q", u, pa)
		}
	}
	// A moderator mutes by the real id, and it holds.
	anchor.SendJSON(map[string]any{"type": "mute", "user_id": "alice", "duration": 60, "ref": "m"})
	anchor.WaitFor("mute ack", 10*time.Second, func(m map[string]any) bool { return m["type"] == "ack" && m["ref"] == "m" })
	advance(h, 2*time.Second)
	alice.SendJSON(map[string]any{"type": "danmaku", "text": "still here?"})
	alice.WaitFor("muted", 10*time.Second, isError("muted"))
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// Format characters (Unicode Cf: bidi overrides, zero-width characters)
// never reach another viewer, in a danmaku's text or in a display name.
func TestFormatCharactersStripped(t *testing.T) {
	b := testenv.Backends(t, testenv.Embedded)
	h := newHub(t, b, testenv.Namespace(t), newFakeRooms("r1"), nil)
	base := serveHub(t, h)
	tok, _, err := testUsers.Mint("mallory", "Mal\u202Eyrroll\u200B", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	mallory := wsClient(t, base, "/ws/rooms/r1", "mallory", map[string]any{"type": "hello", "token": tok})
	viewer := wsClient(t, base, "/ws/rooms/r1", "viewer", hello(t, "v1"))
	viewer.WaitFor("welcome", 10*time.Second, isType("welcome"))
	for i, tt := range []struct{ in, want string }{
		{"price \u202E00.99\u202C today", "price 00.99 today"},
		{"zero\u200Bwidth\u200Djoin\uFEFF", "zerowidthjoin"},
		{"\u2066isolate\u2069 and \u061Carabic mark", "isolate and arabic mark"},
	} {
		mallory.SendJSON(map[string]any{"type": "danmaku", "text": tt.in})
		d := viewer.WaitFor("danmaku "+tt.want, 10*time.Second, func(m map[string]any) bool {
			for _, d := range anySlice(m["danmaku"]) {
				if d.(map[string]any)["text"] == tt.want {
					return true
				}
			}
			return false
		})
		for _, x := range anySlice(d["danmaku"]) {
			x := x.(map[string]any)
			for _, s := range []string{x["text"].(string), x["name"].(string)} {
				if strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) >= 0 {
					t.Fatalf("case %d: a format character reached a viewer: %q", i, s)
				}
			}
			if x["name"] != "Malyrroll" {
				t.Fatalf("case %d: name = %q, want the cleaned %q", i, x["name"], "Malyrroll")
			}
		}
		advance(h, 2*time.Second) // mallory's danmaku bucket refills
	}
	// Text made only of format characters is empty, and refused.
	mallory.SendJSON(map[string]any{"type": "danmaku", "text": "\u202E\u200B", "ref": "empty"})
	mallory.WaitFor("empty refused", 10*time.Second, func(m map[string]any) bool {
		return m["type"] == "error" && m["code"] == "invalid_message" && m["ref"] == "empty"
	})
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		in, want string
		code     string
	}{
		{"  hello  ", "hello", ""},
		{"line\nbreak\ttab", "line break tab", ""},
		{"a\u2028b", "a b", ""},
		{"rtl \u202Eevil", "rtl evil", ""},
		{"\u200B\u200C\u200D\u2060\uFEFF", "", "invalid_message"},
		{strings.Repeat("长", 201), "", "too_long"},
	}
	for _, tt := range tests {
		got, err := cleanText(tt.in, 200)
		code := ""
		if err != nil {
			code = protocol.CodeOf(err)
		}
		if got != tt.want || code != tt.code {
			t.Errorf("cleanText(%q) = %q, %q; want %q, %q", tt.in, got, code, tt.want, tt.code)
		}
	}
	if got := displayName(" Bob\u202Egnp.exe "); got != "Bobgnp.exe" {
		t.Errorf("displayName = %q", got)
	}
}

// Whatever a client sends, cleaned text and names hold no control or
// format character, stay valid UTF-8 and within their length.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"hello", " \u202Eevil\u202C ", "a\u200Bb", "\x00\x1f\x7f", "长长长", "\xff\xfe", "\u2066x\u2069"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		bad := func(r rune) bool {
			return unicode.Is(unicode.Cf, r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
		}
		if out, err := cleanText(in, 200); err == nil {
			if !utf8.ValidString(out) && utf8.ValidString(in) || strings.IndexFunc(out, bad) >= 0 || out == "" || utf8.RuneCountInString(out) > 200 {
				t.Fatalf("cleanText(%q) = %q", in, out)
			}
		}
		if name := displayName(in); strings.IndexFunc(name, bad) >= 0 || utf8.RuneCountInString(name) > 32 {
			t.Fatalf("displayName(%q) = %q", in, name)
		}
	})
}
