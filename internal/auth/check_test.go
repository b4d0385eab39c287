package auth

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/livesell/livesell/internal/apierr"
)

// keyTable is an in-memory PushKeys: room → key → id (revoked keys map to "").
type keyTable map[string]map[string]string

func (k keyTable) PushKeyID(_ context.Context, room, key string) (string, error) {
	id, ok := k[room][key]
	switch {
	case !ok:
		return "", ErrInvalidPushKey
	case id == "":
		return "", fmt.Errorf("%w: key of %s", ErrPushKeyRevoked, room)
	}
	return id, nil
}

const (
	testAdmin = "admin-token-0123456789abcdef0123456789abcdef"
	goodKey   = PushKeyPrefix + "good"
	oldKey    = PushKeyPrefix + "revoked"
	testNode  = "node-secret-0123456789abcdef0123456789ab"
)

func newTestAuth() *Authenticator {
	return New(Options{
		AdminToken:   testAdmin,
		MetricsToken: "metrics-token-0123456789abcdef0123456789",
		NodeSecret:   testNode,
		Users:        NewVerifier([]byte("0123456789abcdef0123456789abcdef"), ""),
		PushKeys:     keyTable{"r1": {goodKey: "k1", oldKey: ""}},
	})
}

func TestCheck(t *testing.T) {
	a := newTestAuth()
	user, _, _ := a.Users().Mint("u7", "", 3600e9)
	addr := netip.MustParseAddr("198.51.100.7")
	tests := []struct {
		name   string
		cred   Credential
		accept Accept
		kind   Kind
		code   apierr.Code
	}{
		{"admin", Credential{Token: testAdmin}, Admin, KindAdmin, ""},
		{"admin not accepted", Credential{Token: testAdmin}, User, 0, apierr.CodeInvalidToken},
		{"push key of the room", Credential{Token: goodKey, Room: "r1"}, Admin | PushKey, KindPushKey, ""},
		{"push key of another room", Credential{Token: goodKey, Room: "r2"}, Admin | PushKey, 0, apierr.CodeInvalidPushKey},
		{"push key only", Credential{Token: PushKeyPrefix + "x", Room: "r1"}, PushKey, 0, apierr.CodeInvalidPushKey},
		{"revoked push key", Credential{Token: oldKey, Room: "r1"}, PushKey, 0, apierr.CodePushKeyRevoked},
		{"push key not accepted", Credential{Token: goodKey, Room: "r1"}, User, 0, apierr.CodeInvalidToken},
		{"push key where only the admin may act", Credential{Token: goodKey, Room: "r1"}, Admin, 0, apierr.CodeAdminOnly},
		{"push key where a user or the admin may act", Credential{Token: goodKey, Room: "r1"}, Admin | User, 0, apierr.CodeInvalidToken},
		{"user", Credential{Token: user}, User, KindUser, ""},
		{"user not accepted", Credential{Token: user, Room: "r1"}, Admin | PushKey, 0, apierr.CodeInvalidPushKey},
		{"junk", Credential{Token: "junk"}, User | Admin, 0, apierr.CodeInvalidToken},
		{"none", Credential{}, User, 0, apierr.CodeMissingToken},
		{"none, anonymous allowed", Credential{}, User | AllowAnonymous, KindAnonymous, ""},
		{"metrics token", Credential{Token: "metrics-token-0123456789abcdef0123456789"}, Metrics | Admin, KindMetrics, ""},
		{"metrics token where not accepted", Credential{Token: "metrics-token-0123456789abcdef0123456789"}, Admin, 0, apierr.CodeInvalidToken},
		{"admin token for metrics", Credential{Token: testAdmin}, Metrics | Admin, KindAdmin, ""},
		{"node secret", Credential{Token: testNode, Room: "r1"}, Node, KindNode, ""},
		{"node secret where not accepted", Credential{Token: testNode}, Admin | User, 0, apierr.CodeInvalidToken},
		{"admin token is no node credential", Credential{Token: testAdmin}, Node, 0, apierr.CodeInvalidToken},
		{"user token is no node credential", Credential{Token: user}, Node, 0, apierr.CodeInvalidToken},
		{"near miss of the node secret", Credential{Token: testNode[:len(testNode)-1] + "c"}, Node, 0, apierr.CodeInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cred.Addr = addr
			p, err := a.Check(context.Background(), tt.cred, tt.accept)
			if tt.code != "" {
				if apierr.CodeOf(err) != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil || p.Kind != tt.kind {
				t.Fatalf("got %+v, %v; want kind %d", p, err, tt.kind)
			}
		})
	}
	p, _ := a.Check(context.Background(), Credential{Token: goodKey, Room: "r1"}, PushKey)
	if p.KeyID != "k1" || p.UserID != Anchor("r1").UserID {
		t.Fatalf("push key principal = %+v", p)
	}
}

// TestCorrectCredentialNeverRefused is #11.2: while one address — and the
// same address — floods junk tokens, push keys and admin guesses, the correct
// push key, admin token and user token are accepted every time, and the
// flood is answered 429 too_many_failures once over budget.
func TestCorrectCredentialNeverRefused(t *testing.T) {
	a := newTestAuth()
	user, _, _ := a.Users().Mint("u7", "", 3600e9)
	flooder := netip.MustParseAddr("203.0.113.9")
	anchor := netip.MustParseAddr("198.51.100.1")
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	limited := 0
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				junk := []string{"junk", PushKeyPrefix + "guess", "admin-guess", "a.b.c"}[i%4]
				_, err := a.Check(ctx, Credential{Token: junk, Room: "r1", Addr: flooder}, Admin|PushKey|User)
				if err == nil {
					t.Errorf("junk %q accepted", junk)
					return
				}
				if apierr.CodeOf(err) == apierr.CodeTooManyFailures {
					mu.Lock()
					limited++
					mu.Unlock()
				}
			}
		}(w)
	}
	for i := 0; i < 100; i++ {
		for _, addr := range []netip.Addr{anchor, flooder} {
			for _, tok := range []string{goodKey, testAdmin, user} {
				if _, err := a.Check(ctx, Credential{Token: tok, Room: "r1", Addr: addr}, Admin|PushKey|User); err != nil {
					t.Fatalf("a correct credential from %s was refused during a flood: %v", addr, err)
				}
			}
		}
	}
	wg.Wait()
	if limited == 0 {
		t.Fatal("800 failures from one address were never answered too_many_failures")
	}
	_, err := a.Check(ctx, Credential{Token: "junk", Addr: flooder}, User)
	if e := apierr.From(err); e.Code != apierr.CodeTooManyFailures || e.Status != 429 || e.RetryAfter <= 0 {
		t.Fatalf("flooder's next failure = %+v, want 429 too_many_failures with Retry-After", e)
	}
	// An address that did not flood still gets the plain refusal.
	_, err = a.Check(ctx, Credential{Token: "junk", Addr: netip.MustParseAddr("192.0.2.50")}, User)
	if apierr.CodeOf(err) != apierr.CodeInvalidToken {
		t.Fatalf("another address's failure = %v, want invalid_token", err)
	}
}

// TestGuessesAreLimited is #11.14: wrong admin tokens and push keys from one
// address are refused with 429 after the burst.
func TestGuessesAreLimited(t *testing.T) {
	for _, tt := range []struct {
		name   string
		accept Accept
		guess  func(i int) string
	}{
		{"admin token", Admin, func(i int) string { return fmt.Sprintf("guess-%d", i) }},
		{"push key", PushKey, func(i int) string { return fmt.Sprintf("%sguess%d", PushKeyPrefix, i) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Options{AdminToken: testAdmin, PushKeys: keyTable{}, Failures: FailureLimits{PerAddress: 1, Burst: 5}})
			addr := netip.MustParseAddr("203.0.113.10")
			codes := map[apierr.Code]int{}
			for i := 0; i < 50; i++ {
				_, err := a.Check(context.Background(), Credential{Token: tt.guess(i), Room: "r1", Addr: addr}, tt.accept)
				codes[apierr.CodeOf(err)]++
			}
			if codes[apierr.CodeTooManyFailures] < 40 {
				t.Fatalf("50 guesses answered %v, want at most the burst before 429", codes)
			}
		})
	}
}

func TestFailureLimiterNodeBudget(t *testing.T) {
	f := NewFailureLimiter(FailureLimits{PerAddress: 100, Burst: 100, Node: 1, NodeBurst: 10})
	refused := 0
	for i := 0; i < 30; i++ {
		addr := netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
		if ok, _ := f.Fail(addr); !ok {
			refused++
		}
	}
	if refused < 15 {
		t.Fatalf("a guesser rotating 30 addresses was refused %d times, want the node budget to bite", refused)
	}
}

func TestFailureLimiterKeysIPv6By64(t *testing.T) {
	f := NewFailureLimiter(FailureLimits{PerAddress: 1, Burst: 3})
	for i := 0; i < 3; i++ {
		f.Fail(netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i+1)))
	}
	if ok, _ := f.Fail(netip.MustParseAddr("2001:db8::ffff")); ok {
		t.Fatal("addresses of one /64 have separate budgets")
	}
	if ok, _ := f.Fail(netip.MustParseAddr("2001:db8:0:1::1")); !ok {
		t.Fatal("another /64 shares the budget")
	}
}

func TestAdmit(t *testing.T) {
	anon := Principal{Identity: Anonymous(), Kind: KindAnonymous}
	admin := Principal{Identity: AdminIdentity(), Kind: KindAdmin}
	anchor := Principal{Identity: Anchor("r1"), Kind: KindPushKey}
	scoped := Principal{Identity: Identity{UserID: "u", Rooms: []string{"r1"}}, Kind: KindUser}
	unscoped := Principal{Identity: Identity{UserID: "u"}, Kind: KindUser}
	tests := []struct {
		name    string
		p       Principal
		room    string
		private bool
		code    apierr.Code
	}{
		{"anonymous, public", anon, "r1", false, ""},
		{"anonymous, private", anon, "r1", true, apierr.CodeMissingToken},
		{"unscoped, public", unscoped, "r1", false, ""},
		{"unscoped, private", unscoped, "r1", true, apierr.CodeRoomForbidden},
		{"scoped, its private room", scoped, "r1", true, ""},
		{"scoped, another public room", scoped, "r2", false, ""},
		{"scoped, another private room", scoped, "r2", true, apierr.CodeRoomForbidden},
		{"anchor, its private room", anchor, "r1", true, ""},
		{"anchor, another private room", anchor, "r2", true, apierr.CodeRoomForbidden},
		{"admin, private", admin, "r9", true, ""},
	}
	for _, tt := range tests {
		if got := apierr.CodeOf(Admit(tt.p, tt.room, tt.private)); tt.code == "" && Admit(tt.p, tt.room, tt.private) != nil || tt.code != "" && got != tt.code {
			t.Errorf("%s: Admit = %v, want %q", tt.name, Admit(tt.p, tt.room, tt.private), tt.code)
		}
	}
}
