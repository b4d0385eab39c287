package signaling

import (
	"net/netip"
	"strings"

	"github.com/pion/ice/v4"
)

// defaultMaxRemoteCandidates is CandidatePolicy.Max when unset: a browser
// offers a few host, server-reflexive and relay candidates per interface;
// 16 covers a well-connected client, and the server learns any other path
// as a peer-reflexive candidate from the client's own checks.
const defaultMaxRemoteCandidates = 16

// CandidatePolicy decides which remote ICE candidates — in an offer or
// trickled in a PATCH — a session hands to the media engine. The server
// sends STUN checks to every candidate it keeps, so an anonymous client
// could otherwise make it probe any address, on the server's own network
// first of all. Dropped candidates are not an error: ICE still connects
// through the candidates the client's checks reveal.
type CandidatePolicy struct {
	// Max is how many remote candidates one session keeps, offer and
	// trickle together; 0 means 16.
	Max int
	// AllowPrivate keeps candidates on private (RFC 1918, fc00::/7),
	// shared (100.64.0.0/10), link-local and loopback addresses: for a
	// deployment inside one network.
	AllowPrivate bool
	// AllowLoopback keeps loopback candidates: set when ICE is restricted
	// to the loopback interface (tests and load tools on one machine).
	AllowLoopback bool
}

func (p CandidatePolicy) max() int {
	if p.Max <= 0 {
		return defaultMaxRemoteCandidates
	}
	return p.Max
}

// sharedAddressSpace is RFC 6598's carrier-grade NAT range.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// Allowed reports whether a candidate ("candidate:…" attribute value, with
// or without the prefix) may be used, or why not. Only literal IP
// addresses are kept: a host name (mDNS ".local" or DNS) would make the
// server resolve names chosen by the client.
func (p CandidatePolicy) Allowed(value string) (ok bool, reason string) {
	c, err := ice.UnmarshalCandidate(strings.TrimSpace(value))
	if err != nil {
		return false, "unparsable"
	}
	addr, err := netip.ParseAddr(c.Address())
	if err != nil {
		return false, "not an IP address"
	}
	addr = addr.Unmap()
	if c.Port() == 0 && c.TCPType() != ice.TCPTypeActive {
		return false, "port 0"
	}
	switch {
	case addr.IsUnspecified():
		return false, "unspecified address"
	case addr.IsMulticast() || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return false, "multicast or broadcast address"
	case addr.IsLoopback():
		if p.AllowLoopback || p.AllowPrivate {
			return true, ""
		}
		return false, "loopback address"
	case addr.IsLinkLocalUnicast() || addr.IsPrivate() || (addr.Is4() && sharedAddressSpace.Contains(addr)):
		if p.AllowPrivate {
			return true, ""
		}
		return false, "private or link-local address"
	}
	return true, ""
}

// FilterOffer removes from an SDP offer the a=candidate lines the policy
// refuses and those beyond Max, leaving every other line as it was. It
// returns the offer to hand to the engine and how many candidates were
// kept and dropped.
func (p CandidatePolicy) FilterOffer(offer string) (out string, kept, dropped int) {
	if !strings.Contains(offer, "a=candidate:") {
		return offer, 0, 0
	}
	var b strings.Builder
	b.Grow(len(offer))
	rest := offer
	for rest != "" {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = ""
		}
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "a=candidate:"); ok {
			if ok, _ := p.Allowed(v); !ok || kept >= p.max() {
				dropped++
				continue
			}
			kept++
		}
		b.WriteString(line)
	}
	return b.String(), kept, dropped
}
