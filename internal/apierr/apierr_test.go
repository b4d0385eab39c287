package apierr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

func TestFiberHandlerWritesOneShape(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: FiberHandler(slog.New(slog.DiscardHandler)), BodyLimit: 8})
	app.Get("/conflict", func(c *fiber.Ctx) error {
		return fmt.Errorf("wrapped: %w", E(CodeRoomBusy, "room %s already has a publisher", "r1"))
	})
	app.Get("/busy", func(c *fiber.Ctx) error {
		return New(CodeCapacity).WithRetryAfter(3 * time.Second)
	})
	app.Get("/boom", func(c *fiber.Ctx) error { return errors.New("secret database detail") })
	app.Get("/notlive", func(c *fiber.Ctx) error { return New(CodeNotLive) })
	app.Get("/uncatalogued", func(c *fiber.Ctx) error { return E("no_such_code", "x") })
	app.Post("/body", func(c *fiber.Ctx) error { return nil })

	tests := []struct {
		method, path, body string
		status             int
		code, retryAfter   string
	}{
		{"GET", "/conflict", "", 409, "room_busy", ""},
		{"GET", "/busy", "", 503, "capacity", "3"},
		{"GET", "/notlive", "", 409, "not_live", "2"},
		{"GET", "/uncatalogued", "", 500, "internal", ""},
		{"GET", "/boom", "", 500, "internal", ""},
		{"GET", "/missing", "", 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			var doc Body
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("body %q is not the error shape: %v", raw, err)
			}
			if resp.StatusCode != tt.status || doc.Error.Code != tt.code || doc.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, doc, tt.status, tt.code)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Fatalf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if tt.status == 500 && doc.Error.Message != "internal server error" {
				t.Fatalf("500 leaked its cause: %q", doc.Error.Message)
			}
		})
	}
}

// TestOversizedBodyOverRealListener checks the 413 Fiber raises before any
// handler runs still comes in the one JSON shape.
func TestOversizedBodyOverRealListener(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: FiberHandler(slog.New(slog.DiscardHandler)), BodyLimit: 8, DisableStartupMessage: true})
	app.Post("/body", func(c *fiber.Ctx) error { return nil })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	defer app.Shutdown()
	resp, err := http.Post("http://"+ln.Addr().String()+"/body", "text/plain", strings.NewReader("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc Body
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &doc); err != nil || resp.StatusCode != 413 || doc.Error.Code != "body_too_large" {
		t.Fatalf("got %d %s (%v), want 413 body_too_large", resp.StatusCode, raw, err)
	}
}
