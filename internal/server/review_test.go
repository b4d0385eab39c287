package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/internal/testnode"
	"github.com/livesell/livesell/sfu/synth"
)

// TestReviewThroughTheNode is the after-show report fed by the real paths
// of a composed node: a synthetic anchor goes live over WHIP (the show
// starts), two viewers join the room's WebSocket from a share link and an
// embed's host page, one comments, likes, clicks the presented product and
// buys two units paid in the sandbox, the other leaves; the anchor ends the
// show. The report counts exactly that.
func TestReviewThroughTheNode(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Commerce.Sandbox = "on"
	srv, base := testnode.Start(t, cfg, testenv.Logger(t))
	admin := srv.AdminToken()
	do := func(method, path, token string, body any, out any, hdr ...string) int {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if out != nil && resp.StatusCode < 300 {
			json.Unmarshal(raw, out)
		}
		if resp.StatusCode >= 300 {
			t.Logf("%s %s → %d %s", method, path, resp.StatusCode, raw)
		}
		return resp.StatusCode
	}
	var room struct {
		ID      string `json:"id"`
		PushKey string `json:"push_key"`
	}
	do("POST", "/api/rooms", admin, map[string]any{"id": "review1", "title": "Review"}, &room)
	var prod struct {
		ID string `json:"id"`
	}
	do("POST", "/api/products", admin, map[string]any{"title": "Tea", "price_minor": 1000, "currency": "CNY", "stock": 5}, &prod)
	do("PUT", "/api/rooms/review1/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)

	api, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := synth.NewPublisher(api, synth.PublisherOptions{FPS: 15, Bitrates: []int{100_000}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	offer, err := pub.Offer()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", base+"/whip/review1", strings.NewReader(offer))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+room.PushKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHIP: %d %s", resp.StatusCode, answer)
	}
	if err := pub.Start(string(answer)); err != nil {
		t.Fatal(err)
	}
	var shows struct {
		Shows []struct {
			ID string `json:"id"`
		} `json:"shows"`
	}
	testenv.Eventually(t, 20*time.Second, func() bool {
		do("GET", "/api/rooms/review1/shows", admin, nil, &shows)
		return len(shows.Shows) == 1
	}, "the show never started")

	dial := func(ref string, hello map[string]any) *websocket.Conn {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws/rooms/review1?ref="+ref, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
		go func() { // read (and drop) what the room sends
			for {
				if _, _, err := c.Read(context.Background()); err != nil {
					return
				}
			}
		}()
		if hello != nil {
			wsSend(t, c, hello)
		}
		return c
	}
	alice, _, _ := srv.Users().Mint("alice", "Alice", time.Hour)
	a := dial("share-a", map[string]any{"type": "hello", "token": alice})
	guest := dial("https%3A%2F%2Fhost.example%2Fshop%3Fitem%3D1", map[string]any{"type": "hello"})
	wsSend(t, a, map[string]any{"type": "danmaku", "text": "多少钱?"})
	wsSend(t, a, map[string]any{"type": "like", "count": 3})
	do("POST", "/api/rooms/review1/presenting", admin, map[string]any{"product_id": prod.ID}, nil)
	var chapters struct {
		Chapters []struct {
			ProductID string `json:"product_id"`
		} `json:"chapters"`
	}
	testenv.Eventually(t, 10*time.Second, func() bool {
		do("GET", "/api/rooms/review1/shows/"+shows.Shows[0].ID+"/chapters", "", nil, &chapters)
		return len(chapters.Chapters) == 1
	}, "the product's chapter never opened")
	wsSend(t, a, map[string]any{"type": "click", "product_id": prod.ID})
	var order struct {
		ID string `json:"id"`
	}
	do("POST", "/api/orders", alice, map[string]any{"room": "review1", "product_id": prod.ID, "quantity": 2}, &order, "Idempotency-Key", "review-order-1")
	var pay struct {
		PaymentID string `json:"payment_id"`
	}
	do("POST", "/api/orders/"+order.ID+"/pay", alice, map[string]any{"provider": "sandbox"}, &pay)
	if st := do("POST", "/pay/sandbox/"+pay.PaymentID+"/pay", alice, nil, nil); st != 200 {
		t.Fatalf("sandbox pay: %d", st)
	}
	guest.Close(websocket.StatusNormalClosure, "")
	type report struct {
		Final    bool `json:"final"`
		Audience struct {
			Peak          int `json:"peak"`
			UniqueViewers int `json:"unique_viewers"`
			NewViewers    int `json:"new_viewers"`
			Sources       []struct {
				Referrer string `json:"referrer"`
				Viewers  int    `json:"viewers"`
			} `json:"sources"`
		} `json:"audience"`
		Interaction struct {
			Danmaku    int     `json:"danmaku"`
			Likes      int     `json:"likes"`
			Interacted int     `json:"interacted"`
			Rate       float64 `json:"rate"`
		} `json:"interaction"`
		Products []struct {
			ProductID   string `json:"product_id"`
			Impressions int    `json:"impressions"`
			Clicks      int    `json:"clicks"`
			Orders      int    `json:"orders"`
			Units       int    `json:"units"`
			GMV         int64  `json:"gmv_minor"`
			PaidOrders  int    `json:"paid_orders"`
		} `json:"products"`
		Money struct {
			PaidOrders int   `json:"paid_orders"`
			PaidGMV    int64 `json:"paid_gmv_minor"`
			AOV        int64 `json:"aov_minor"`
		} `json:"money"`
	}
	var live report
	testenv.Eventually(t, 20*time.Second, func() bool {
		do("GET", "/api/rooms/review1/shows/"+shows.Shows[0].ID+"/report", admin, nil, &live)
		return live.Money.PaidOrders == 1 && live.Interaction.Likes == 3 && len(live.Products) == 1 && live.Products[0].Clicks == 1
	}, "the live report never counted the paid order, the likes and the click")
	if live.Final {
		t.Error("the report of a running show is final")
	}
	do("POST", "/api/rooms/review1/end", admin, nil, nil)
	var rep report
	testenv.Eventually(t, 20*time.Second, func() bool {
		do("GET", "/api/rooms/review1/shows/"+shows.Shows[0].ID+"/report", admin, nil, &rep)
		return rep.Final
	}, "the show never ended in the report")
	a0 := rep.Audience
	if a0.Peak != 2 || a0.UniqueViewers != 2 || a0.NewViewers != 2 || len(a0.Sources) != 2 ||
		a0.Sources[0] != (struct {
			Referrer string `json:"referrer"`
			Viewers  int    `json:"viewers"`
		}{"https://host.example/shop", 1}) || a0.Sources[1].Referrer != "share-a" {
		t.Errorf("audience = %+v", a0)
	}
	if x := rep.Interaction; x.Danmaku != 1 || x.Likes != 3 || x.Interacted != 1 || x.Rate != 0.5 {
		t.Errorf("interaction = %+v", x)
	}
	if p := rep.Products[0]; p.ProductID != prod.ID || p.Impressions != 2 || p.Clicks != 1 || p.Orders != 1 || p.Units != 2 || p.GMV != 2000 || p.PaidOrders != 1 {
		t.Errorf("product window = %+v", p)
	}
	if m := rep.Money; m.PaidOrders != 1 || m.PaidGMV != 2000 || m.AOV != 2000 {
		t.Errorf("money = %+v", m)
	}
}

func wsSend(t *testing.T, c *websocket.Conn, msg map[string]any) {
	t.Helper()
	msg["v"] = 1
	b, _ := json.Marshal(msg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}
