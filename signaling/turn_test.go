package signaling

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTURNCredential(t *testing.T) {
	// Computed independently: base64(HMAC-SHA1(secret, "1700000000:viewer-1")).
	user, cred := TURNCredential("0123456789abcdef0123456789abcdef", "viewer-1", time.Unix(1_700_000_000, 0))
	if user != "1700000000:viewer-1" || cred != "h6M3Yt73ir1TURYny4fZWs99A/4=" {
		t.Fatalf("TURNCredential = %q, %q", user, cred)
	}
}

func TestTURNLinks(t *testing.T) {
	secret := strings.Repeat("s", 32)
	tests := []struct {
		name string
		opts TURNOptions
		ok   bool
	}{
		{"none", TURNOptions{}, true},
		{"udp and tls", TURNOptions{URLs: []string{"turn:turn.example:3478?transport=udp", "turns:turn.example:5349"}, Secret: secret}, true},
		{"short secret", TURNOptions{URLs: []string{"turn:turn.example:3478"}, Secret: "change-me"}, false},
		{"secret without servers", TURNOptions{Secret: secret}, false},
		{"stun server", TURNOptions{URLs: []string{"stun:stun.example:3478"}, Secret: secret}, false},
		{"static credentials", TURNOptions{URLs: []string{"turn:bob:pw@turn.example:3478"}, Secret: secret}, false},
		{"header injection", TURNOptions{URLs: []string{"turn:turn.example:3478>; rel=x"}, Secret: secret}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newTURNLinks(tt.opts)
			if (err == nil) != tt.ok {
				t.Fatalf("newTURNLinks: %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrTURNConfig) && !strings.Contains(err.Error(), "ice-servers") {
				t.Fatalf("error %v names neither TURN nor the ICE server", err)
			}
		})
	}

	tl, err := newTURNLinks(TURNOptions{URLs: []string{"turn:turn.example:3478?transport=udp"}, Secret: secret, TTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	tl.now = func() time.Time { return now }
	got := tl.links(`anchor:room"1`)
	user, cred := TURNCredential(secret, "anchor-room-1", now.Add(10*time.Minute))
	want := `<turn:turn.example:3478?transport=udp>; rel="ice-server"; username="` + user + `"; credential="` + cred + `"; credential-type="password"`
	if len(got) != 1 || got[0] != want {
		t.Fatalf("links = %q\nwant %q", got, want)
	}
	if (*turnLinks)(nil).links("x") != nil {
		t.Fatal("no TURN secret must give no links")
	}
}
