package signaling_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling"
)

// gatedEngine wraps the fake engine: it records every offer the engine
// receives, and its viewer sessions report Connected only when the test
// says so (publishers connect at once).
type gatedEngine struct {
	signaling.MediaEngine

	mu      sync.Mutex
	offers  []string
	viewers []*gatedSession
}

type gatedSession struct {
	signaling.MediaSession
	connected chan struct{}
	once      sync.Once
}

func (g *gatedSession) Connected() <-chan struct{} { return g.connected }
func (g *gatedSession) connect()                   { g.once.Do(func() { close(g.connected) }) }

func (e *gatedEngine) Publish(ctx context.Context, r sfu.PublishRequest) (signaling.MediaSession, error) {
	e.record(r.OfferSDP)
	s, err := e.MediaEngine.Publish(ctx, r)
	if err != nil {
		return nil, err
	}
	g := &gatedSession{MediaSession: s, connected: make(chan struct{})}
	g.connect()
	return g, nil
}

func (e *gatedEngine) Subscribe(ctx context.Context, r sfu.SubscribeRequest) (signaling.MediaSession, error) {
	e.record(r.OfferSDP)
	s, err := e.MediaEngine.Subscribe(ctx, r)
	if err != nil {
		return nil, err
	}
	g := &gatedSession{MediaSession: s, connected: make(chan struct{})}
	e.mu.Lock()
	e.viewers = append(e.viewers, g)
	e.mu.Unlock()
	return g, nil
}

func (e *gatedEngine) record(offer string) {
	e.mu.Lock()
	e.offers = append(e.offers, offer)
	e.mu.Unlock()
}

func (e *gatedEngine) lastOffer() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.offers[len(e.offers)-1]
}

func (e *gatedEngine) viewer(i int) *gatedSession {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.viewers[i]
}

func newGatedHarness(t *testing.T, mod func(*signaling.Options)) (*harness, *gatedEngine) {
	var g *gatedEngine
	h := newHarness(t, func(o *signaling.Options) {
		g = &gatedEngine{MediaEngine: o.Engine}
		o.Engine = g
		if mod != nil {
			mod(o)
		}
	})
	return h, g
}

func (h *harness) liveRoom() createdRoom {
	h.t.Helper()
	rm := h.createRoom(false)
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		h.t.Fatalf("publish: %d %s", r.status, r.body)
	}
	return rm
}

// TestAnonymousOfferBurstIsLimited is #11.4's burst: anonymous WHEP offers
// from one address get 429 rate_limited with Retry-After beyond the burst,
// and a correct push key from the same address can still publish.
func TestAnonymousOfferBurstIsLimited(t *testing.T) {
	h, _ := newGatedHarness(t, func(o *signaling.Options) {
		o.Admission = signaling.AdmissionLimits{Rate: 0.5, Burst: 5, Concurrent: 100}
	})
	rm := h.liveRoom()
	created, limited := 0, 0
	for range 12 {
		r := h.play("/whep/" + rm.ID)
		switch r.status {
		case http.StatusCreated:
			created++
		case http.StatusTooManyRequests:
			limited++
			if r.code() != "rate_limited" {
				t.Fatalf("429 code %q, want rate_limited: %s", r.code(), r.body)
			}
			if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("Retry-After = %q, want whole seconds >= 1", r.header.Get("Retry-After"))
			}
		default:
			t.Fatalf("offer: %d %s", r.status, r.body)
		}
	}
	if created != 5 || limited != 7 {
		t.Fatalf("created %d, limited %d; want 5 and 7", created, limited)
	}
	// The admin token is not an anonymous client.
	if r := h.play("/whep/"+rm.ID, "Authorization", "Bearer "+testAdmin); r.status != http.StatusCreated {
		t.Fatalf("admin viewer: %d %s", r.status, r.body)
	}
	// WHIP has its own budget: the anchor behind the same address goes live.
	other := h.createRoom(false)
	if r := h.publish(other.ID, other.PushKey); r.status != http.StatusCreated {
		t.Fatalf("publish after a WHEP flood from the same address: %d %s", r.status, r.body)
	}
}

// TestConcurrentSessionsPerAddress checks the concurrency limit and that
// an ended session gives its slot back.
func TestConcurrentSessionsPerAddress(t *testing.T) {
	h, _ := newGatedHarness(t, func(o *signaling.Options) {
		o.Admission = signaling.AdmissionLimits{Rate: 100, Burst: 100, Concurrent: 3}
	})
	rm := h.liveRoom()
	var locs []string
	for i := range 3 {
		r := h.play("/whep/" + rm.ID)
		if r.status != http.StatusCreated {
			t.Fatalf("viewer %d: %d %s", i, r.status, r.body)
		}
		locs = append(locs, r.header.Get("Location"))
	}
	r := h.play("/whep/" + rm.ID)
	if r.status != http.StatusTooManyRequests || r.code() != "too_many_connections" || r.header.Get("Retry-After") == "" {
		t.Fatalf("fourth session: %d %s (Retry-After %q), want 429 too_many_connections", r.status, r.body, r.header.Get("Retry-After"))
	}
	if d := h.do("DELETE", locs[0], ""); d.status != http.StatusOK {
		t.Fatalf("DELETE: %d %s", d.status, d.body)
	}
	testenv.Eventually(t, 10*time.Second, func() bool {
		return h.play("/whep/"+rm.ID).status == http.StatusCreated
	}, "an ended session did not give its slot back")
}

// TestUnconnectedSessionIsClosed: an offer whose ICE never connects is
// closed after the (here short) ICE connect timeout, never counts as a
// viewer and frees its slot; a viewer counts once it connects.
func TestUnconnectedSessionIsClosed(t *testing.T) {
	const timeout = 300 * time.Millisecond
	h, g := newGatedHarness(t, func(o *signaling.Options) {
		o.ICEConnectTimeout = timeout
		o.Admission = signaling.AdmissionLimits{Rate: 100, Burst: 100, Concurrent: 1}
	})
	rm := h.liveRoom()
	if r := h.play("/whep/" + rm.ID); r.status != http.StatusCreated {
		t.Fatalf("viewer: %d %s", r.status, r.body)
	}
	never := h.eng.sessions[len(h.eng.sessions)-1]
	if j, _ := h.events.counts(rm.ID); j != 0 {
		t.Fatalf("a viewer counted before its ICE connected (joined %d)", j)
	}
	testenv.Eventually(t, 10*time.Second, never.closed, "a session that never connected is still open")
	if j, l := h.events.counts(rm.ID); j != 0 || l != 0 {
		t.Fatalf("joined/left = %d/%d for a session that never connected, want 0/0", j, l)
	}

	// Its slot is free again (Concurrent 1); this one connects and counts.
	var r response
	testenv.Eventually(t, 10*time.Second, func() bool {
		r = h.play("/whep/" + rm.ID)
		return r.status == http.StatusCreated
	}, "the closed session's slot was not freed")
	g.viewer(1).connect()
	testenv.Eventually(t, 10*time.Second, func() bool {
		j, _ := h.events.counts(rm.ID)
		return j == 1
	}, "a connected viewer was not counted")
	connected := h.eng.sessions[len(h.eng.sessions)-1]
	time.Sleep(3 * timeout) // the timeout must not fire for a connected session
	if connected.closed() {
		t.Fatal("a connected session was closed by the connect timeout")
	}
}

// TestOfferAndTrickleCandidatesCapped is #11.5 over HTTP: a crafted offer
// with 20 public and 5 private/loopback/multicast candidates reaches the
// engine with 16 public ones; trickled candidates beyond the cap and
// private ones are dropped with 204.
func TestOfferAndTrickleCandidatesCapped(t *testing.T) {
	h, g := newGatedHarness(t, func(o *signaling.Options) {
		o.Candidates = signaling.CandidatePolicy{} // the production default: no loopback
		o.MaxBodyBytes = 16 << 10
	})
	rm := h.liveRoom()
	var lines []string
	for _, p := range []string{"10.0.0.1", "192.168.1.1", "169.254.1.1", "127.0.0.1", "239.0.0.1"} {
		lines = append(lines, "a=candidate:9 1 udp 2130706431 "+p+" 50000 typ host")
	}
	for i := range 20 {
		lines = append(lines, fmt.Sprintf("a=candidate:%d 1 udp 2130706431 198.51.100.%d 40000 typ host", i, i+1))
	}
	offer := testOffer + strings.Join(lines, "\r\n") + "\r\n"
	r := h.do("POST", "/whep/"+rm.ID, offer, "Content-Type", "application/sdp")
	if r.status != http.StatusCreated {
		t.Fatalf("offer: %d %s", r.status, r.body)
	}
	var got []string
	for _, l := range strings.Split(g.lastOffer(), "\r\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			got = append(got, l)
		}
	}
	if len(got) != 16 {
		t.Fatalf("engine got %d candidates, want 16", len(got))
	}
	all := strings.Join(got, "\n")
	for _, bad := range []string{"10.0.0.1", "192.168.1.1", "169.254.1.1", "127.0.0.1", "239.0.0.1", "198.51.100.17 "} {
		if strings.Contains(all, bad) {
			t.Fatalf("engine got a candidate on %s", bad)
		}
	}
	// Trickle: the session has used its 16; nothing more reaches the engine.
	loc := r.header.Get("Location")
	sess := h.eng.sessions[len(h.eng.sessions)-1]
	frag := "a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" +
		"a=candidate:1 1 udp 2130706431 203.0.113.9 50000 typ host\r\n" +
		"a=candidate:2 1 udp 2130706431 10.9.9.9 50000 typ host\r\n"
	if p := h.do("PATCH", loc, frag, "Content-Type", "application/trickle-ice-sdpfrag", "If-Match", "*"); p.status != http.StatusNoContent {
		t.Fatalf("trickle: %d %s", p.status, p.body)
	}
	if n := sess.candidateCount(); n != 0 {
		t.Fatalf("engine got %d trickled candidates beyond the cap, want 0", n)
	}

	// A fresh session without offer candidates: public trickles go through
	// up to the cap, private ones never.
	r = h.play("/whep/" + rm.ID)
	loc, sess = r.header.Get("Location"), h.eng.sessions[len(h.eng.sessions)-1]
	var b strings.Builder
	b.WriteString("a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n")
	for i := range 20 {
		fmt.Fprintf(&b, "a=candidate:%d 1 udp 2130706431 203.0.113.%d 50000 typ host\r\n", i, i+1)
		fmt.Fprintf(&b, "a=candidate:%d 1 udp 2130706431 192.168.0.%d 50000 typ host\r\n", i+100, i+1)
	}
	if p := h.do("PATCH", loc, b.String(), "Content-Type", "application/trickle-ice-sdpfrag", "If-Match", "*"); p.status != http.StatusNoContent {
		t.Fatalf("trickle: %d %s", p.status, p.body)
	}
	if n := sess.candidateCount(); n != 16 {
		t.Fatalf("engine got %d trickled candidates, want 16", n)
	}
}
