package auth

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestResolveAddr is #11.3: behind trusted proxies the client is the
// right-most X-Forwarded-For hop that is not a trusted proxy; a forwarded
// 127.0.0.1 is not loopback.
func TestResolveAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{"10.0.0.0/8", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	proxy := netip.MustParseAddr("10.1.2.3")
	tests := []struct {
		name      string
		peer      netip.Addr
		xff       []string
		trusted   []netip.Prefix
		want      string
		forwarded bool
	}{
		{"no proxies configured: header ignored", proxy, []string{"203.0.113.5"}, nil, "10.1.2.3", false},
		{"untrusted peer: header ignored", netip.MustParseAddr("198.51.100.1"), []string{"203.0.113.5"}, trusted, "198.51.100.1", false},
		{"one hop", proxy, []string{"203.0.113.5"}, trusted, "203.0.113.5", true},
		{"client-written left part ignored", proxy, []string{"1.2.3.4, 5.6.7.8, 203.0.113.5"}, trusted, "203.0.113.5", true},
		{"two trusted proxies", proxy, []string{"203.0.113.5, 10.9.9.9"}, trusted, "203.0.113.5", true},
		{"several headers", proxy, []string{"9.9.9.9", "203.0.113.5, 10.9.9.9"}, trusted, "203.0.113.5", true},
		{"forged loopback", proxy, []string{"127.0.0.1"}, trusted, "127.0.0.1", true},
		{"garbage hop stops the walk", proxy, []string{"203.0.113.5, junk, 10.9.9.9"}, trusted, "10.9.9.9", true},
		{"no header", proxy, nil, trusted, "10.1.2.3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var xff [][]byte
			for _, h := range tt.xff {
				xff = append(xff, []byte(h))
			}
			got := resolveAddr(tt.peer, xff, tt.trusted)
			if got.addr.String() != tt.want || got.forwarded != tt.forwarded {
				t.Fatalf("got %s (forwarded %v), want %s (%v)", got.addr, got.forwarded, tt.want, tt.forwarded)
			}
		})
	}
	if _, err := ParseTrustedProxies([]string{"not-an-ip"}); err == nil {
		t.Fatal("a bad trusted proxy was accepted")
	}
}

// TestForwardedLoopbackNotExempt runs the middleware: a request from the
// trusted local proxy saying X-Forwarded-For: 127.0.0.1 is not loopback, a
// direct local request is.
func TestForwardedLoopbackNotExempt(t *testing.T) {
	trusted, _ := ParseTrustedProxies([]string{"0.0.0.0/0"}) // app.Test's peer is 0.0.0.0
	app := fiber.New()
	app.Use(ClientAddrs(trusted))
	app.Get("/", func(c *fiber.Ctx) error {
		if IsLoopback(c) {
			return c.SendString("loopback " + ClientAddr(c).String())
		}
		return c.SendString("remote " + ClientAddr(c).String())
	})
	for xff, want := range map[string]string{"127.0.0.1": "remote 127.0.0.1", "::1": "remote ::1", "203.0.113.5": "remote 203.0.113.5"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, _ := resp.Body.Read(buf)
		if string(buf[:n]) != want {
			t.Fatalf("X-Forwarded-For %s: got %q, want %q", xff, buf[:n], want)
		}
	}
}

// FuzzResolveAddr: whatever X-Forwarded-For a client writes, the address
// is the peer or a hop after a trusted one, and a forwarded address is
// never reported as the peer.
func FuzzResolveAddr(f *testing.F) {
	f.Add("203.0.113.5, 10.0.0.7", "10.0.0.0/8")
	f.Add("junk,,127.0.0.1", "127.0.0.1")
	f.Add("", "")
	peer := netip.MustParseAddr("10.1.2.3")
	f.Fuzz(func(t *testing.T, xff, trustedList string) {
		trusted, err := ParseTrustedProxies(strings.Split(trustedList, ","))
		if err != nil {
			return
		}
		got := resolveAddr(peer, [][]byte{[]byte(xff)}, trusted)
		if !got.addr.IsValid() {
			t.Fatalf("no address for %q", xff)
		}
		if !got.forwarded && got.addr != peer {
			t.Fatalf("address %s not forwarded but not the peer", got.addr)
		}
		if got.forwarded && !strings.Contains(xff, got.addr.String()) && !strings.Contains(strings.ToLower(xff), strings.ToLower(got.addr.String())) {
			// Unmapped or reformatted forms are fine as long as they parse from a hop.
			found := false
			for _, h := range strings.Split(xff, ",") {
				if a, err := netip.ParseAddr(strings.TrimSpace(h)); err == nil && a.Unmap() == got.addr {
					found = true
				}
			}
			if !found {
				t.Fatalf("forwarded address %s is not a hop of %q", got.addr, xff)
			}
		}
	})
}
