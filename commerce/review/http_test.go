package review

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// privateRooms is the room records' private flags, as the room store answers them.
type privateRooms struct {
	mu      sync.Mutex
	private map[string]bool
}

func (p *privateRooms) Private(_ context.Context, room string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.private[room], nil
}

const adminToken = "review-admin-token-0123456789"

func serve(t *testing.T, h *HTTP) string {
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: apierr.FiberHandler(testenv.Logger(t))})
	h.Mount(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

func call(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestReplayAPI: the replay page's API — the latest ended show's chapters,
// its chat without the deleted danmaku, replay views and chapter plays that
// show in the report (JSON and CSV) — under the room's access rules.
func TestReplayAPI(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		r := newRig(t, b, ns, nil)
		rooms := &privateRooms{private: map[string]bool{}}
		users := auth.NewVerifier([]byte("review-user-secret-0123456789abcdef"), "")
		base := serve(t, &HTTP{Service: r.svc, Auth: auth.New(auth.Options{AdminToken: adminToken, Users: users}), Rooms: rooms})
		room := "replay-" + ns
		t0 := time.Date(2026, 3, 2, 20, 0, 0, 0, time.UTC)
		sec := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

		if st, body := call(t, "GET", base+"/api/rooms/"+room+"/replay", "", nil); st != 404 || !strings.Contains(string(body), "show_not_found") {
			t.Fatalf("replay before any show: %d %s", st, body)
		}
		r.clock.set(sec(0))
		r.audience(events.AudienceEvent{Room: room, Kind: events.AudienceState, Text: "live", At: sec(0)},
			events.AudienceEvent{Room: room, Kind: events.AudienceJoined, Viewer: "v1", UserID: "u1", At: sec(1)},
			events.AudienceEvent{Room: room, Kind: events.AudienceDanmaku, Viewer: "v1", UserID: "u1", Name: "Ann", MessageID: "m1", Text: "你好", At: sec(5)},
			events.AudienceEvent{Room: room, Kind: events.AudienceDanmaku, Viewer: "v1", UserID: "u1", Name: "Ann", MessageID: "m2", Text: "bad words", At: sec(6)},
			events.AudienceEvent{Room: room, Kind: events.AudienceDanmaku, Viewer: "v1", UserID: "u1", Name: "Ann", MessageID: "m3", Text: "<b>how much</b>", At: sec(12)},
		)
		r.card(events.ProductCard{Room: room, Shown: true, ProductID: "P1", Title: "Tea", PriceMinor: 1000, LivePriceMinor: 800, Currency: "CNY", Version: 1, At: sec(10)})
		r.card(events.ProductCard{Room: room, Shown: true, ProductID: "P2", Title: "Cup", PriceMinor: 2000, Currency: "CNY", Version: 2, At: sec(20)})
		r.rows("review_cards", room, 2)
		r.audience(events.AudienceEvent{Room: room, Kind: events.AudienceDanmakuDeleted, MessageID: "m2", At: sec(25)},
			events.AudienceEvent{Room: room, Kind: events.AudienceState, Text: "ended", At: sec(30)})
		r.clock.set(sec(60))
		testenv.Eventually(t, 20*time.Second, func() bool {
			st, _ := call(t, "GET", base+"/api/rooms/"+room+"/replay", "", nil)
			return st == 200
		}, "the ended show never became a replay")

		st, body := call(t, "GET", base+"/api/rooms/"+room+"/replay", "", nil)
		var ch Chapters
		if err := json.Unmarshal(body, &ch); err != nil || st != 200 {
			t.Fatalf("replay: %d %s", st, body)
		}
		if len(ch.Chapters) != 2 || ch.Chapters[0].ProductID != "P1" || ch.Chapters[0].OffsetMS != 10_000 || ch.Chapters[0].DurationMS != 10_000 ||
			ch.Chapters[1].ProductID != "P2" || ch.Chapters[1].OffsetMS != 20_000 || ch.Chapters[1].DurationMS != 10_000 || ch.Chapters[0].LivePriceMinor != 800 {
			t.Fatalf("chapters = %+v", ch.Chapters)
		}
		show := ch.Show.ID
		showURL := base + "/api/rooms/" + room + "/shows/" + show
		if st, body := call(t, "GET", showURL+"/chapters", "", nil); st != 200 || !strings.Contains(string(body), `"Cup"`) {
			t.Fatalf("chapters: %d %s", st, body)
		}
		var chat struct{ Messages []Message }
		// On several nodes the deletion may be kept a moment after the end.
		testenv.Eventually(t, 10*time.Second, func() bool {
			st, body = call(t, "GET", showURL+"/chat", "", nil)
			chat.Messages = nil
			if err := json.Unmarshal(body, &chat); err != nil || st != 200 {
				t.Fatalf("chat: %d %s", st, body)
			}
			return len(chat.Messages) == 2
		}, "the deleted danmaku stayed in the chat replay: %s", body)
		if len(chat.Messages) != 2 || chat.Messages[0].Text != "你好" || chat.Messages[0].OffsetMS != 5000 || chat.Messages[0].Name != "Ann" ||
			chat.Messages[1].Text != "<b>how much</b>" || chat.Messages[1].OffsetMS != 12_000 {
			t.Fatalf("chat = %+v (m2 was deleted)", chat.Messages)
		}

		for _, ev := range []map[string]any{{"kind": "view", "viewer": "page1"}, {"kind": "chapter", "viewer": "page1", "product_id": "P2"}, {"kind": "click", "viewer": "page1", "product_id": "P2"}} {
			if st, body := call(t, "POST", showURL+"/replay-events", "", ev); st != 202 {
				t.Fatalf("replay event %v: %d %s", ev, st, body)
			}
		}
		for _, bad := range []map[string]any{{"kind": "chapter", "viewer": "page1"}, {"kind": "view", "viewer": "no spaces"}, {"kind": "buy", "viewer": "x"}} {
			if st, body := call(t, "POST", showURL+"/replay-events", "", bad); st != 400 || !strings.Contains(string(body), "invalid_replay_event") {
				t.Errorf("bad replay event %v: %d %s", bad, st, body)
			}
		}
		if st, _ := call(t, "GET", showURL+"/report", "", nil); st != 401 {
			t.Errorf("report without the admin token: %d", st)
		}
		var rep Report
		testenv.Eventually(t, 20*time.Second, func() bool {
			_, body := call(t, "GET", showURL+"/report", adminToken, nil)
			rep = Report{}
			json.Unmarshal(body, &rep)
			return rep.Replay.Views == 1 && rep.Replay.ChapterPlays == 1
		}, "replay events never reached the report")
		if !rep.Final || rep.Replay.UniqueViewers != 1 || rep.Replay.PlaysByProd["P2"] != 1 || rep.Interaction.Danmaku != 3 || rep.Audience.UniqueViewers != 1 {
			t.Errorf("report = %+v", rep)
		}
		st, body = call(t, "GET", showURL+"/report?format=csv", adminToken, nil)
		if st != 200 || !strings.Contains(string(body), "replay,views,,1\n") || !strings.Contains(string(body), "product,title,1:P1,Tea\n") || !strings.HasPrefix(string(body), "section,metric,key,value\n") {
			t.Errorf("csv: %d %s", st, body)
		}
		if st, _ := call(t, "GET", base+"/api/rooms/"+room+"/shows/0123456789abcdef/chat", "", nil); st != 404 {
			t.Errorf("unknown show: %d", st)
		}
		if st, _ := call(t, "GET", base+"/api/rooms/other/shows/"+show+"/chat", "", nil); st != 404 {
			t.Errorf("a show of another room: %d", st)
		}
		if st, _ := call(t, "GET", base+"/api/rooms/"+room+"/shows/nothex/chat", "", nil); st != 400 {
			t.Errorf("malformed show id: %d", st)
		}
		if st, body := call(t, "GET", base+"/api/rooms/"+room+"/shows", adminToken, nil); st != 200 || !strings.Contains(string(body), show) {
			t.Errorf("shows: %d %s", st, body)
		}

		// A private room's replay is for the tokens that name it.
		rooms.mu.Lock()
		rooms.private[room] = true
		rooms.mu.Unlock()
		if st, body := call(t, "GET", showURL+"/chat", "", nil); st != 401 || !strings.Contains(string(body), "missing_token") {
			t.Errorf("private replay, anonymous: %d %s", st, body)
		}
		other, _, _ := users.Mint("u2", "", time.Hour, "elsewhere")
		if st, _ := call(t, "GET", showURL+"/chat", other, nil); st != 403 {
			t.Errorf("private replay, a token of another room: %d", st)
		}
		named, _, _ := users.Mint("u2", "", time.Hour, room)
		if st, _ := call(t, "GET", showURL+"/chat", named, nil); st != 200 {
			t.Errorf("private replay, a token naming it: %d", st)
		}
	})
}
