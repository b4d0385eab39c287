package auth

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

const addrKeyLocal = "livesell.clientaddr"

// clientAddr is what ClientAddrs records for a request.
type clientAddr struct {
	addr      netip.Addr
	forwarded bool // taken from X-Forwarded-For
}

// ParseTrustedProxies parses the trusted-proxies setting: IP addresses or
// CIDR prefixes.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted-proxies: %q is neither an IP address nor a CIDR prefix", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// ClientAddrs is Fiber middleware that finds each request's client address
// once, for ClientAddr and IsLoopback. A request from a trusted proxy is
// attributed to the right-most X-Forwarded-For address that is not itself
// a trusted proxy: the left part of the header is whatever the client
// wrote, and only the hops our proxies appended can be believed. Without
// trusted proxies the header is ignored.
func ClientAddrs(trusted []netip.Prefix) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(addrKeyLocal, resolveAddr(peerAddr(c), c.Request().Header.PeekAll(fiber.HeaderXForwardedFor), trusted))
		return c.Next()
	}
}

func peerAddr(c *fiber.Ctx) netip.Addr {
	a, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// resolveAddr picks the client address of a request from peer carrying
// the X-Forwarded-For headers xff.
func resolveAddr(peer netip.Addr, xff [][]byte, trusted []netip.Prefix) clientAddr {
	if len(trusted) == 0 || !isTrusted(peer, trusted) {
		return clientAddr{addr: peer}
	}
	var hops []string
	for _, h := range xff {
		hops = append(hops, strings.Split(string(h), ",")...)
	}
	last := clientAddr{addr: peer}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// A hop our proxy did not write: stop at the last one believed.
			return last
		}
		a = a.Unmap()
		last = clientAddr{addr: a, forwarded: true}
		if !isTrusted(a, trusted) {
			return last
		}
	}
	return last
}

// ClientAddr is the request's client address (see ClientAddrs); without
// the middleware, the TCP peer.
func ClientAddr(c *fiber.Ctx) netip.Addr {
	if ca, ok := c.Locals(addrKeyLocal).(clientAddr); ok {
		return ca.addr
	}
	return peerAddr(c)
}

// IsLoopback reports whether the request comes from this host itself (the
// host's own reverse proxy, or a local tool), which per-address rate limits
// exempt. An address taken from X-Forwarded-For never is: anyone can write
// 127.0.0.1 there.
func IsLoopback(c *fiber.Ctx) bool {
	if ca, ok := c.Locals(addrKeyLocal).(clientAddr); ok {
		return !ca.forwarded && ca.addr.IsLoopback()
	}
	return peerAddr(c).IsLoopback()
}
