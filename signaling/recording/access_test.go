package recording_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling/recording"
	"github.com/livesell/livesell/signaling/room"
)

// rooms reads the room store as the composer does.
type rooms struct{ s *room.Store }

func (r rooms) RecordInfo(ctx context.Context, id string) (recording.RoomInfo, error) {
	rm, err := r.s.Get(ctx, id)
	if errors.Is(err, room.ErrNotFound) {
		return recording.RoomInfo{}, fmt.Errorf("%w: %w", recording.ErrUnknownRoom, err)
	}
	if err != nil {
		return recording.RoomInfo{}, err
	}
	return recording.RoomInfo{Record: rm.Record, Private: rm.Private, Ended: rm.State == room.StateEnded}, nil
}

// tickets sells the room "paid": user "holder" has a ticket.
type tickets struct{}

func (tickets) Pass(_ context.Context, rm, user string) (bool, auth.Pass, bool, error) {
	if rm != "paid" {
		return false, auth.Pass{}, false, nil
	}
	return true, auth.Pass{Tier: "standard"}, user == "holder", nil
}

// TestRecordingAccess: who may list and watch a room's recordings — the
// room's rules (public, private through auth.Admit, ticketed through
// auth.Tickets), the admin always; only the admin deletes.
func TestRecordingAccess(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, _ string) {
		ctx := context.Background()
		rs, err := room.NewStore(ctx, b.SQL)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []room.NewRoom{{ID: "open", Title: "Open"}, {ID: "vip", Title: "VIP", Private: true}, {ID: "paid", Title: "Paid"}} {
			if _, err := rs.Create(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		users := auth.NewVerifier([]byte("0123456789abcdef0123456789abcdef"), "")
		const admin = "admin-token-0123456789abcdef0123456789"
		a := auth.New(auth.Options{AdminToken: admin, Users: users})
		eng, err := sfu.NewEngine(sfu.Config{ICEInterfaces: []string{"lo"}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		st, _ := recording.NewDir(t.TempDir())
		m, err := recording.New(recording.Options{Store: st, Engine: eng, Rooms: rooms{rs}, Auth: a, Tickets: tickets{}})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close(ctx)
		app := fiber.New(fiber.Config{ErrorHandler: apierr.FiberHandler(slog.New(slog.DiscardHandler))})
		m.Mount(app)

		mint := func(user string, rooms ...string) string {
			tok, _, err := users.Mint(user, "", time.Hour, rooms...)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		vipViewer, holder, other := mint("v1", "vip"), mint("holder"), mint("someone")
		get := func(path, bearer string) int {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for _, tt := range []struct {
			room, who, bearer string
			want              int
		}{
			{"open", "anonymous", "", http.StatusOK},
			{"vip", "anonymous", "", http.StatusUnauthorized},
			{"vip", "a user of another room", other, http.StatusForbidden},
			{"vip", "its viewer token", vipViewer, http.StatusOK},
			{"vip", "the admin", admin, http.StatusOK},
			{"paid", "anonymous", "", http.StatusForbidden},
			{"paid", "a user without a ticket", other, http.StatusForbidden},
			{"paid", "a ticket holder", holder, http.StatusOK},
			{"paid", "the admin", admin, http.StatusOK},
			{"nowhere", "the admin", admin, http.StatusNotFound},
		} {
			if got := get("/api/rooms/"+tt.room+"/recordings", tt.bearer); got != tt.want {
				t.Errorf("list %s as %s: %d, want %d", tt.room, tt.who, got, tt.want)
			}
		}
		if got := get("/api/rooms/open/recordings/rec_20260101T000000_none/media", ""); got != http.StatusNotFound {
			t.Errorf("media of no recording: %d", got)
		}
		// The media of a private room: the header, or the recording's
		// playback grant in the URL; never the viewer's token in the URL
		// (404 here is past the credential check: there is no such recording).
		const rec = "/api/rooms/vip/recordings/rec_20260101T000000_none/"
		vip := auth.Principal{Identity: auth.Identity{UserID: "v1", Rooms: []string{"vip"}}, Kind: auth.KindUser}
		g, _ := a.MintGrant(vip, "vip", rec, time.Now(), auth.PlaybackGrantTTL)
		elsewhere, _ := a.MintGrant(vip, "vip", "/api/rooms/vip/recordings/rec_20260101T000000_else/", time.Now(), auth.PlaybackGrantTTL)
		for _, tt := range []struct {
			what, path, bearer string
			want               int
		}{
			{"the viewer token in the header", rec + "media", vipViewer, http.StatusNotFound},
			{"its grant", rec + "media?grant=" + g, "", http.StatusNotFound},
			{"its grant, for a clip", rec + "clip?from_ms=0&to_ms=10&grant=" + g, "", http.StatusNotFound},
			{"another recording's grant", rec + "media?grant=" + elsewhere, "", http.StatusUnauthorized},
			{"a forged grant", rec + "media?grant=" + g[:len(g)-4] + "AAAA", "", http.StatusUnauthorized},
			{"the viewer token in the URL", rec + "media?token=" + vipViewer, "", http.StatusBadRequest},
			{"a grant where the route takes none", "/api/rooms/vip/recordings?grant=" + g, "", http.StatusUnauthorized},
		} {
			if got := get(tt.path, tt.bearer); got != tt.want {
				t.Errorf("vip media with %s: %d, want %d", tt.what, got, tt.want)
			}
		}
		req := httptest.NewRequest(http.MethodDelete, "/api/rooms/open/recordings/rec_20260101T000000_none", nil)
		req.Header.Set("Authorization", "Bearer "+holder)
		if resp, _ := app.Test(req, -1); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("delete by a user: %d", resp.StatusCode)
		}
	})
}
