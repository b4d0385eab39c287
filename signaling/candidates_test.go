package signaling

import (
	"fmt"
	"strings"
	"testing"
)

func TestCandidatePolicyAllowed(t *testing.T) {
	cand := func(addr string, port int) string {
		return fmt.Sprintf("candidate:1 1 udp 2130706431 %s %d typ host", addr, port)
	}
	tests := []struct {
		name   string
		value  string
		policy CandidatePolicy
		ok     bool
	}{
		{"public IPv4", cand("203.0.113.7", 50000), CandidatePolicy{}, true},
		{"public IPv6", cand("2001:db8::7", 50000), CandidatePolicy{}, true},
		{"public srflx", "candidate:2 1 udp 1686052607 198.51.100.4 61000 typ srflx raddr 10.0.0.2 rport 50000", CandidatePolicy{}, true},
		{"without prefix", "1 1 udp 2130706431 203.0.113.7 50000 typ host", CandidatePolicy{}, true},
		{"RFC 1918 10/8", cand("10.1.2.3", 50000), CandidatePolicy{}, false},
		{"RFC 1918 172.16/12", cand("172.16.0.1", 50000), CandidatePolicy{}, false},
		{"RFC 1918 192.168/16", cand("192.168.1.20", 50000), CandidatePolicy{}, false},
		{"shared 100.64/10", cand("100.64.0.1", 50000), CandidatePolicy{}, false},
		{"unique local fc00::/7", cand("fd00::1", 50000), CandidatePolicy{}, false},
		{"link-local IPv4", cand("169.254.10.10", 50000), CandidatePolicy{}, false},
		{"link-local IPv6", cand("fe80::1", 50000), CandidatePolicy{}, false},
		{"loopback IPv4", cand("127.0.0.1", 50000), CandidatePolicy{}, false},
		{"loopback IPv6", cand("::1", 50000), CandidatePolicy{}, false},
		{"loopback mapped", cand("::ffff:127.0.0.1", 50000), CandidatePolicy{}, false},
		{"multicast IPv4", cand("224.0.0.251", 5353), CandidatePolicy{}, false},
		{"multicast IPv6", cand("ff02::fb", 5353), CandidatePolicy{}, false},
		{"broadcast", cand("255.255.255.255", 9), CandidatePolicy{}, false},
		{"unspecified", cand("0.0.0.0", 9), CandidatePolicy{}, false},
		{"mDNS name", cand("3f1c2b8e-1111-2222-3333-444455556666.local", 50000), CandidatePolicy{}, false},
		{"DNS name", cand("attacker.example", 50000), CandidatePolicy{}, false},
		{"port 0", cand("203.0.113.7", 0), CandidatePolicy{}, false},
		{"garbage", "candidate:not a candidate", CandidatePolicy{}, false},
		{"loopback with ICE on lo", cand("127.0.0.1", 50000), CandidatePolicy{AllowLoopback: true}, true},
		{"private still refused with ICE on lo", cand("10.1.2.3", 50000), CandidatePolicy{AllowLoopback: true}, false},
		{"private allowed", cand("10.1.2.3", 50000), CandidatePolicy{AllowPrivate: true}, true},
		{"link-local allowed", cand("fe80::1", 50000), CandidatePolicy{AllowPrivate: true}, true},
		{"multicast never", cand("224.0.0.251", 5353), CandidatePolicy{AllowPrivate: true, AllowLoopback: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := tt.policy.Allowed(tt.value)
			if ok != tt.ok {
				t.Fatalf("Allowed(%q) = %v (%s), want %v", tt.value, ok, reason, tt.ok)
			}
			if !ok && reason == "" {
				t.Fatal("a refusal without a reason")
			}
		})
	}
}

// craftedOffer is a valid offer whose media section lists the given
// candidate lines.
func craftedOffer(cands []string) string {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
		"a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=setup:actpass\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n")
	for _, c := range cands {
		b.WriteString("a=" + c + "\r\n")
	}
	b.WriteString("a=end-of-candidates\r\n")
	return b.String()
}

func TestFilterOfferCapsAndFilters(t *testing.T) {
	var cands []string
	for i := range 20 {
		cands = append(cands, fmt.Sprintf("candidate:%d 1 udp 2130706431 203.0.113.%d 5%04d typ host", i, i+1, i))
	}
	private := []string{
		"candidate:90 1 udp 2130706431 10.0.0.1 50000 typ host",
		"candidate:91 1 udp 2130706431 192.168.0.1 50000 typ host",
		"candidate:92 1 udp 2130706431 169.254.0.1 50000 typ host",
		"candidate:93 1 udp 2130706431 127.0.0.1 50000 typ host",
		"candidate:94 1 udp 2130706431 239.1.1.1 50000 typ host",
	}
	offer := craftedOffer(append(private, cands...))
	out, kept, dropped := CandidatePolicy{}.FilterOffer(offer)
	if kept != 16 || dropped != 9 {
		t.Fatalf("kept %d, dropped %d; want 16 and 9 (5 private, 4 over the cap)", kept, dropped)
	}
	if n := strings.Count(out, "a=candidate:"); n != 16 {
		t.Fatalf("%d candidate lines left, want 16", n)
	}
	for _, p := range private {
		if strings.Contains(out, p) {
			t.Fatalf("private candidate kept: %s", p)
		}
	}
	if !strings.Contains(out, cands[15]) || strings.Contains(out, cands[16]) {
		t.Fatal("the cap must keep the first 16 candidates in order")
	}
	// Every other line is untouched, and the result still validates.
	strip := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\r\n") {
			if !strings.HasPrefix(l, "a=candidate:") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\r\n")
	}
	if strip(out) != strip(offer) {
		t.Fatalf("non-candidate lines changed:\n%s", out)
	}
	if _, err := ValidateOffer([]byte(out), len(out)); err != nil {
		t.Fatalf("filtered offer no longer validates: %v", err)
	}
	// With ICE on loopback only, loopback candidates stay.
	out, kept, _ = CandidatePolicy{AllowLoopback: true, Max: 4}.FilterOffer(offer)
	if kept != 4 || !strings.Contains(out, private[3]) {
		t.Fatalf("loopback allowed, cap 4: kept %d\n%s", kept, out)
	}
}

// FuzzFilterOffer feeds the candidate filter arbitrary offers: it never
// panics, keeps at most Max candidates, keeps only allowed ones and leaves
// every other line alone.
func FuzzFilterOffer(f *testing.F) {
	f.Add(craftedOffer([]string{"candidate:1 1 udp 2130706431 203.0.113.7 50000 typ host"}))
	f.Add(craftedOffer([]string{"candidate:1 1 udp 2130706431 10.0.0.1 50000 typ host", "candidate:2 1 tcp 1 ::1 9 typ host tcptype active"}))
	f.Add("a=candidate:\r\na=candidate:x\n\na=candidate:1 1 udp 1 fe80::1%eth0 1 typ host")
	f.Fuzz(func(t *testing.T, offer string) {
		p := CandidatePolicy{Max: 4}
		out, kept, dropped := p.FilterOffer(offer)
		if kept > 4 || kept < 0 || dropped < 0 {
			t.Fatalf("kept %d dropped %d", kept, dropped)
		}
		if len(out) > len(offer) {
			t.Fatal("the filter grew the offer")
		}
		n := 0
		for _, l := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "a=candidate:"); ok {
				n++
				if ok, why := p.Allowed(v); !ok {
					t.Fatalf("kept a refused candidate %q (%s)", v, why)
				}
			}
		}
		if n != kept {
			t.Fatalf("%d candidate lines left, reported %d", n, kept)
		}
	})
}
