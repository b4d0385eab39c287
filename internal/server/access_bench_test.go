package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/config"
)

// BenchmarkAdmissionCheck is the admission check's cost per WHEP join (and
// per room-channel join): the node's auth.Tickets as media and interaction
// call it, on the embedded defaults, for a ticket holder of a ticketed
// room, a viewer without a ticket there, and a viewer of an open room —
// each answered from the cache after the first join.
func BenchmarkAdmissionCheck(b *testing.B) {
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.Media.ICEInterfaces = []string{"lo"}
	ctx := context.Background()
	s, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	call := func(method, path, body string, out any) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.AdminToken())
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.App().Test(req, -1)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		if out != nil {
			json.Unmarshal(raw, out)
		}
	}
	var show, open struct{ ID string }
	call("POST", "/api/rooms", `{"title":"show"}`, &show)
	call("POST", "/api/rooms", `{"title":"open"}`, &open)
	starts := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	call("PUT", "/api/rooms/"+show.ID+"/presale", `{"title":"show","starts_at":"`+starts+`","currency":"cny","tiers":[{"name":"standard","quantity":-1,"mode":"tiered","steps":[{"quantity":-1,"price_minor":4900}],"comment":true}]}`, nil)
	call("POST", "/api/rooms/"+show.ID+"/presale/entitlements", `{"user_id":"fan","tier":"standard"}`, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, _, ok, err := s.admission.Pass(ctx, show.ID, "fan"); err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the granted entitlement never admitted the fan")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, bc := range []struct {
		name, room, user string
		ticketed, ok     bool
	}{
		{"holder", show.ID, "fan", true, true},
		{"no-ticket", show.ID, "stranger", true, false},
		{"open-room", open.ID, "anyone", false, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s.admission.Pass(ctx, bc.room, bc.user) // the first join fills the cache
			b.ReportAllocs()
			for b.Loop() {
				ticketed, _, ok, err := s.admission.Pass(ctx, bc.room, bc.user)
				if err != nil || ticketed != bc.ticketed || ok != bc.ok {
					b.Fatalf("Pass = %v %v %v", ticketed, ok, err)
				}
			}
		})
	}
}
