package signaling_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/signaling"
)

// tableTickets is auth.Tickets over a table the test writes: rooms that
// sell access and the passes of their users. It stands in for presale's
// cached entitlements (tested in their own package and, end to end, in
// internal/server).
type tableTickets struct {
	mu     sync.Mutex
	rooms  map[string]bool
	passes map[string]auth.Pass // room + "/" + user
	err    error
}

func newTableTickets() *tableTickets {
	return &tableTickets{rooms: map[string]bool{}, passes: map[string]auth.Pass{}}
}

func (tt *tableTickets) Pass(_ context.Context, room, user string) (bool, auth.Pass, bool, error) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.err != nil {
		return false, auth.Pass{}, false, tt.err
	}
	p, ok := tt.passes[room+"/"+user]
	return tt.rooms[room], p, ok, nil
}

func (tt *tableTickets) sell(room string) { tt.mu.Lock(); tt.rooms[room] = true; tt.mu.Unlock() }

func (tt *tableTickets) grant(room, user string, p auth.Pass) {
	tt.mu.Lock()
	tt.passes[room+"/"+user] = p
	tt.mu.Unlock()
}

func (tt *tableTickets) fail(err error) { tt.mu.Lock(); tt.err = err; tt.mu.Unlock() }

func newTicketHarness(t *testing.T) (*harness, *tableTickets) {
	tt := newTableTickets()
	h := newHarness(t, func(o *signaling.Options) { o.Tickets = tt })
	return h, tt
}

// TestWHEPNeedsATicketInATicketedRoom: a ticketed room's WHEP offer is
// refused 403 ticket_required without a pass (anonymous or signed in),
// answered with one, and refused 503 ticket_check_unavailable (with
// Retry-After, never let in) when the check fails; the admin needs none,
// and an open room stays open.
func TestWHEPNeedsATicketInATicketedRoom(t *testing.T) {
	h, tt := newTicketHarness(t)
	open := h.liveRoom()
	show := h.liveRoom()
	tt.sell(show.ID)
	tt.grant(show.ID, "holder", auth.Pass{Tier: "standard", Comment: true})
	bearer := func(user string) string {
		tok, _, err := h.users.Mint(user, "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	for _, tc := range []struct {
		name, room, auth string
		broken           bool
		status           int
		code             string
	}{
		{name: "open room, anonymous", room: open.ID, status: http.StatusCreated},
		{name: "ticketed, anonymous", room: show.ID, status: http.StatusForbidden, code: "ticket_required"},
		{name: "ticketed, no ticket", room: show.ID, auth: bearer("stranger"), status: http.StatusForbidden, code: "ticket_required"},
		{name: "ticketed, holder", room: show.ID, auth: bearer("holder"), status: http.StatusCreated},
		{name: "ticketed, admin", room: show.ID, auth: "Bearer " + testAdmin, status: http.StatusCreated},
		{name: "check fails, holder", room: show.ID, auth: bearer("holder"), broken: true, status: http.StatusServiceUnavailable, code: "ticket_check_unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.broken {
				tt.fail(errors.New("entitlement store down"))
				defer tt.fail(nil)
			}
			var hdr []string
			if tc.auth != "" {
				hdr = []string{"Authorization", tc.auth}
			}
			r := h.play("/whep/"+tc.room, hdr...)
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("WHEP = %d %q, want %d %q (%s)", r.status, r.code(), tc.status, tc.code, r.body)
			}
			if tc.broken && r.header.Get("Retry-After") == "" {
				t.Error("a failed check must say when to retry")
			}
		})
	}

	// The page's view of the same rule.
	for _, tc := range []struct {
		auth     string
		admitted bool
		ticketed bool
		tier     string
	}{
		{auth: "", ticketed: true},
		{auth: bearer("holder"), ticketed: true, admitted: true, tier: "standard"},
	} {
		var hdr []string
		if tc.auth != "" {
			hdr = []string{"Authorization", tc.auth}
		}
		r := h.do("GET", "/api/rooms/"+show.ID+"/pass", "", hdr...)
		var got struct {
			Ticketed, Admitted bool
			Tier               string
		}
		if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &got) != nil {
			t.Fatalf("GET pass: %d %s", r.status, r.body)
		}
		if got.Ticketed != tc.ticketed || got.Admitted != tc.admitted || got.Tier != tc.tier {
			t.Errorf("GET pass = %+v, want ticketed %v admitted %v tier %q", got, tc.ticketed, tc.admitted, tc.tier)
		}
	}
	tt.fail(errors.New("down"))
	if r := h.do("GET", "/api/rooms/"+show.ID+"/pass", ""); r.status != http.StatusServiceUnavailable || r.code() != "ticket_check_unavailable" {
		t.Errorf("GET pass with the check down = %d %s, want 503 ticket_check_unavailable", r.status, r.body)
	}
}

// TestExtraSourceFollowsTheTier: a second publisher on the room's push key
// publishes the backstage source without making the room live; a standard
// ticket is refused it (403 source_not_in_pass) and a VIP one, whose pass
// lists it, watches it; a revoke ends the VIP's sessions (main and
// backstage) and nobody else's.
func TestExtraSourceFollowsTheTier(t *testing.T) {
	h, tt := newTicketHarness(t)
	rm := h.createRoom(false)
	tt.sell(rm.ID)
	tt.grant(rm.ID, "std", auth.Pass{Tier: "standard", Comment: true})
	tt.grant(rm.ID, "vip", auth.Pass{Tier: "vip", Sources: []string{"backstage"}, Comment: true, Highlight: true})
	bearer := func(user string) string {
		tok, _, _ := h.users.Mint(user, "", time.Hour)
		return "Bearer " + tok
	}
	sdp := []string{"Content-Type", "application/sdp"}
	r := h.do("POST", "/whip/"+rm.ID+"/sources/backstage", testOffer, append(sdp, "Authorization", "Bearer "+rm.PushKey)...)
	if r.status != http.StatusCreated {
		t.Fatalf("WHIP source: %d %s", r.status, r.body)
	}
	if st := h.roomState(rm.ID); st != "idle" {
		t.Errorf("after a source publish the room is %s, want idle (only the main publisher makes it live)", st)
	}
	if r := h.do("POST", "/whip/"+rm.ID+"/sources/backstage", testOffer, append(sdp, "Authorization", "Bearer "+testAdmin)...); r.code() != "push_key_required" {
		t.Errorf("WHIP source with the admin token = %d %s, want push_key_required", r.status, r.body)
	}
	if r := h.do("POST", "/whip/"+rm.ID+"/sources/Back.stage", testOffer, append(sdp, "Authorization", "Bearer "+rm.PushKey)...); r.status != http.StatusBadRequest || r.code() != "invalid_source" {
		t.Errorf("WHIP bad source = %d %s, want 400 invalid_source", r.status, r.body)
	}
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		t.Fatalf("WHIP main: %d %s", r.status, r.body)
	}

	for _, tc := range []struct {
		name, path, user string
		status           int
		code             string
	}{
		{"standard, main", "/whep/" + rm.ID, "std", http.StatusCreated, ""},
		{"standard, backstage", "/whep/" + rm.ID + "/sources/backstage", "std", http.StatusForbidden, "source_not_in_pass"},
		{"no ticket, backstage", "/whep/" + rm.ID + "/sources/backstage", "nobody", http.StatusForbidden, "ticket_required"},
		{"vip, main", "/whep/" + rm.ID, "vip", http.StatusCreated, ""},
		{"vip, backstage", "/whep/" + rm.ID + "/sources/backstage", "vip", http.StatusCreated, ""},
		{"vip, unpublished source", "/whep/" + rm.ID + "/sources/stage-left", "vip", http.StatusForbidden, "source_not_in_pass"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.play(tc.path, "Authorization", bearer(tc.user))
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("WHEP = %d %q, want %d %q (%s)", r.status, r.code(), tc.status, tc.code, r.body)
			}
		})
	}
	// The backstage viewer watches the source's own media room.
	subs := map[string]int{}
	for _, s := range h.eng.all() {
		if !s.pub {
			subs[s.room]++
		}
	}
	if subs[rm.ID+"~backstage"] != 1 || subs[rm.ID] != 2 {
		t.Fatalf("subscriptions per media room = %v, want 1 on backstage and 2 on the main", subs)
	}
	if n := h.svc.RevokeViewer(rm.ID, "vip"); n != 2 {
		t.Fatalf("RevokeViewer(vip) ended %d sessions, want 2", n)
	}
	closed := 0
	for _, s := range h.eng.all() {
		if !s.pub && s.closed() {
			closed++
		}
	}
	if closed != 2 {
		t.Errorf("%d viewer sessions closed after the VIP's revoke, want 2 (the standard one stays)", closed)
	}
	if h.roomState(rm.ID) != "live" {
		t.Errorf("the room is %s after a revoke, want live", h.roomState(rm.ID))
	}
}

// all is every session the engine made.
func (e *fakeEngine) all() []*fakeSession {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*fakeSession(nil), e.sessions...)
}
