package signaling

import (
	"net/netip"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

// TestAdmissionPerAddress checks the two limits on one address and that
// other addresses keep their own budget (IPv6 counted per /64).
func TestAdmissionPerAddress(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	a := newAdmission(AdmissionLimits{Rate: 1, Burst: 3, Concurrent: 2})
	a.now = func() time.Time { return now }
	x := netip.MustParseAddr("203.0.113.1")

	r1, err := a.admitAddr(x)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.admitAddr(x); err != nil {
		t.Fatal(err)
	}
	// Two open: the third is over the concurrency limit.
	if _, err := a.admitAddr(x); apierr.CodeOf(err) != apierr.CodeTooManyConnections {
		t.Fatalf("third concurrent session: %v, want too_many_connections", err)
	}
	r1()
	r1() // idempotent: must not free a second slot
	if _, err := a.admitAddr(x); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	// Three offers used the burst of 3 (the refused one cost nothing).
	if _, err := a.admitAddr(x); apierr.CodeOf(err) != apierr.CodeTooManyConnections {
		t.Fatalf("still two open: %v", err)
	}

	// Rate: a fresh address with room for concurrency but no tokens.
	b := newAdmission(AdmissionLimits{Rate: 1, Burst: 3, Concurrent: 100})
	b.now = func() time.Time { return now }
	for i := range 3 {
		if _, err := b.admitAddr(x); err != nil {
			t.Fatalf("offer %d within the burst: %v", i, err)
		}
	}
	_, err = b.admitAddr(x)
	e := apierr.From(err)
	if apierr.CodeOf(err) != apierr.CodeRateLimited || e.RetryAfter < time.Second {
		t.Fatalf("over the burst: %v (retry %v), want rate_limited with Retry-After >= 1s", err, e.RetryAfter)
	}
	// Another address, and another /64, are not affected; the same /64 is.
	if _, err := b.admitAddr(netip.MustParseAddr("203.0.113.2")); err != nil {
		t.Fatalf("another address: %v", err)
	}
	for i := range 3 {
		if _, err := b.admitAddr(netip.MustParseAddr("2001:db8:1:2::1")); err != nil {
			t.Fatalf("IPv6 offer %d: %v", i, err)
		}
	}
	if _, err := b.admitAddr(netip.MustParseAddr("2001:db8:1:2::ffff")); apierr.CodeOf(err) != apierr.CodeRateLimited {
		t.Fatalf("same /64: %v, want rate_limited", err)
	}
	if _, err := b.admitAddr(netip.MustParseAddr("2001:db8:1:3::1")); err != nil {
		t.Fatalf("another /64: %v", err)
	}
	// Time refills the bucket.
	now = now.Add(2 * time.Second)
	if _, err := b.admitAddr(x); err != nil {
		t.Fatalf("after 2s: %v", err)
	}
}
