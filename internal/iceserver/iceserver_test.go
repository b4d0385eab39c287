package iceserver

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		raw, url, link string
		user, cred     string
	}{
		{"stun:stun.example.net:3478", "stun:stun.example.net:3478", `<stun:stun.example.net:3478>; rel="ice-server"`, "", ""},
		{"STUN:stun.example.net", "stun:stun.example.net", `<stun:stun.example.net>; rel="ice-server"`, "", ""},
		// The form docs/whip-whep.md documents.
		{"turn:user:pass@host:3478?transport=udp", "turn:host:3478?transport=udp",
			`<turn:host:3478?transport=udp>; rel="ice-server"; username="user"; credential="pass"; credential-type="password"`, "user", "pass"},
		{"turn://alice:s%40cret@turn.example.net:3478", "turn:turn.example.net:3478",
			`<turn:turn.example.net:3478>; rel="ice-server"; username="alice"; credential="s@cret"; credential-type="password"`, "alice", "s@cret"},
		{"turns:turn.example.net:5349?transport=tcp", "turns:turn.example.net:5349?transport=tcp", `<turns:turn.example.net:5349?transport=tcp>; rel="ice-server"`, "", ""},
		{"turn:[2001:db8::1]:3478", "turn:[2001:db8::1]:3478", `<turn:[2001:db8::1]:3478>; rel="ice-server"`, "", ""},
	}
	for _, tt := range tests {
		s, err := Parse(tt.raw)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.raw, err)
			continue
		}
		if s.URL() != tt.url || s.Link() != tt.link || s.Username != tt.user || s.Credential != tt.cred {
			t.Errorf("Parse(%q) = %+v: url %q link %q", tt.raw, s, s.URL(), s.Link())
		}
	}
	for _, bad := range []string{"", "http://x", "stun:user:pw@host", "turn:", "turn:a b", "turn:host:99999", "turn:host?transport=sctp",
		"stun:host?transport=udp", `turn:us"er:pw@host`, "turn:host/path", "turn:2001:db8::1", "turn:@host", strings.Repeat("a", 600)} {
		if _, err := Parse(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("turn:user:pass@host:3478?transport=udp")
	f.Add("stun:[::1]:3478")
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := Parse(raw)
		if err != nil {
			return
		}
		// What is accepted can be written into a quoted Link header and
		// parses back to the same server.
		if strings.ContainsAny(s.Link(), "\r\n") {
			t.Fatalf("Link %q has a line break", s.Link())
		}
		again, err := Parse(s.URL())
		if err != nil || again.URL() != s.URL() {
			t.Fatalf("URL %q of %q does not parse back: %v", s.URL(), raw, err)
		}
	})
}
