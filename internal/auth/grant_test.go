package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

// TestPlaybackGrant: a grant admits the path prefix and room it was minted
// for, until it expires, on any node sharing the secret; anything else is
// invalid_grant (and counted as a failure), and a grant is never taken
// where the route does not accept one.
func TestPlaybackGrant(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := now
	a := New(Options{AdminToken: testAdmin, GrantSecret: testAdmin, Now: func() time.Time { return clock }})
	other := New(Options{AdminToken: testAdmin, GrantSecret: "another cluster's admin token, 0123456789"})
	sameCluster := New(Options{GrantSecret: testAdmin, Now: func() time.Time { return clock }})

	const prefix = "/api/rooms/r1/recordings/rec_1/"
	tok, exp := a.MintGrant(Principal{Identity: Identity{UserID: "u1"}, Kind: KindUser}, "r1", prefix, now, PlaybackGrantTTL)
	if !exp.Equal(now.Add(PlaybackGrantTTL)) {
		t.Fatalf("expires %v, want %v", exp, now.Add(PlaybackGrantTTL))
	}
	forged, _ := other.MintGrant(Principal{Identity: Identity{UserID: "u1"}}, "r1", prefix, now, PlaybackGrantTTL)
	body, sig, _ := strings.Cut(tok, ".")
	tampered := body[:len(body)-2] + "xy." + sig

	for _, tt := range []struct {
		name        string
		auth        *Authenticator
		grant, room string
		path        string
		at          time.Time
		accept      Accept
		wantErr     bool
	}{
		{"its media", a, tok, "r1", prefix + "media", now, PlaybackGrant, false},
		{"its clip, on another node of the cluster", sameCluster, tok, "r1", prefix + "clip", now.Add(time.Hour), PlaybackGrant, false},
		{"another recording", a, tok, "r1", "/api/rooms/r1/recordings/rec_2/media", now, PlaybackGrant, true},
		{"another room", a, tok, "r2", prefix + "media", now, PlaybackGrant, true},
		{"expired", a, tok, "r1", prefix + "media", exp, PlaybackGrant, true},
		{"signed by another cluster", a, forged, "r1", prefix + "media", now, PlaybackGrant, true},
		{"tampered", a, tampered, "r1", prefix + "media", now, PlaybackGrant, true},
		{"garbage", a, "not-a-grant", "r1", prefix + "media", now, PlaybackGrant, true},
		{"too long", a, strings.Repeat("a", 2000) + "." + sig, "r1", prefix + "media", now, PlaybackGrant, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock = tt.at
			p, err := tt.auth.Check(context.Background(), Credential{Grant: tt.grant, Room: tt.room, Path: tt.path}, tt.accept)
			if tt.wantErr {
				var ae *apierr.Error
				if !errors.As(err, &ae) || ae.Code != apierr.CodeInvalidGrant {
					t.Fatalf("err = %v, want invalid_grant", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != KindGrant || p.UserID != "u1" || !p.Admits("r1", true) || p.Admits("r2", true) {
				t.Fatalf("principal = %+v, want the grant's user admitted to r1 only", p)
			}
		})
	}

	// A route that takes no grant ignores one: the caller is anonymous.
	clock = now
	p, err := a.Check(context.Background(), Credential{Grant: tok, Room: "r1", Path: prefix + "media"}, User|AllowAnonymous)
	if err != nil || p.Kind != KindAnonymous {
		t.Fatalf("grant where none is accepted: %+v, %v", p, err)
	}
}

// FuzzGrant: a presented grant never panics, and only a grant this
// Authenticator minted verifies.
func FuzzGrant(f *testing.F) {
	a := New(Options{GrantSecret: testAdmin})
	now := time.Now()
	tok, _ := a.MintGrant(Principal{Identity: Identity{UserID: "u"}}, "r", "/p/", now, PlaybackGrantTTL)
	for _, s := range []string{tok, "", ".", "a.b", tok + "x", strings.ReplaceAll(tok, ".", "")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := a.checkGrant(s, "r", "/p/media", now)
		if err == nil && s != tok && (g.room != "r" || !strings.HasPrefix("/p/media", g.prefix)) {
			t.Fatalf("%q verified as %+v", s, g)
		}
	})
}
