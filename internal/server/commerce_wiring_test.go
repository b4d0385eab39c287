package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
)

// The composed server mounts commerce with the node's one Authenticator
// over the room store: a room's real push key may bind and present
// products, another room's may not. (It lives here, not in commerce:
// commerce does not import the composer.)
func TestCommerceWiresPushKeys(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Store.Namespace = testenv.Namespace(t)
	cfg.Media.ICEInterfaces = []string{"lo"}
	ctx := context.Background()
	s, err := server.New(ctx, cfg, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	call := func(method, path, token string, body any) (int, map[string]any) {
		raw, _ := json.Marshal(body)
		req := httptest.NewRequest(method, path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := s.App().Test(req, int((30 * time.Second).Milliseconds()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	admin := s.AdminToken()
	st, r1 := call("POST", "/api/rooms", admin, map[string]any{"id": "shop1", "title": "Shop one"})
	if st != 201 {
		t.Fatalf("create room: %d %v", st, r1)
	}
	st, r2 := call("POST", "/api/rooms", admin, map[string]any{"id": "shop2", "title": "Shop two"})
	if st != 201 {
		t.Fatalf("create room: %d %v", st, r2)
	}
	st, p := call("POST", "/api/products", admin, map[string]any{"title": "Tea", "price_minor": 100, "currency": "USD", "stock": 5})
	if st != 201 {
		t.Fatalf("create product: %d %v", st, p)
	}
	bind := map[string]any{"product_ids": []string{p["id"].(string)}}
	if st, _ := call("PUT", "/api/rooms/shop1/products", r2["push_key"].(string), bind); st != 401 {
		t.Fatalf("shop2's key binding shop1: %d", st)
	}
	if st, m := call("PUT", "/api/rooms/shop1/products", r1["push_key"].(string), bind); st != 200 {
		t.Fatalf("shop1's key binding shop1: %d %v", st, m)
	}
	if st, m := call("POST", "/api/rooms/shop1/presenting", r1["push_key"].(string), map[string]any{"product_id": p["id"]}); st != 200 || m["shown"] != true {
		t.Fatalf("present: %d %v", st, m)
	}
}
