package openapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/openapi"
)

func TestToOpenAPIPath(t *testing.T) {
	for in, want := range map[string]string{
		"/api/orders/:id":          "/api/orders/{id}",
		"/api/rooms/:room/stats":   "/api/rooms/{room}/stats",
		"/api/items/:id?":          "/api/items/{id}",
		"/api/segments/export.csv": "/api/segments/export.csv",
	} {
		if got := openapi.ToOpenAPIPath(in); got != want {
			t.Errorf("%s → %s; want %s", in, got, want)
		}
	}
}

func TestDocumentIsOpenAPI3(t *testing.T) {
	doc, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil || !strings.HasPrefix(d.OpenAPI, "3.") || len(d.Paths) < 15 {
		t.Fatalf("document: %v %q %d paths", err, d.OpenAPI, len(d.Paths))
	}
}

func TestCheckRoutes(t *testing.T) {
	doc := []byte(`{"openapi":"3.0.3","paths":{"/api/a/{id}":{"get":{}}}}`)
	app := fiber.New()
	app.Get("/api/a/:id", func(c *fiber.Ctx) error { return nil })
	app.Get("/healthz", func(c *fiber.Ctx) error { return nil })
	if err := openapi.CheckRoutes(app, doc); err != nil {
		t.Fatalf("documented app: %v", err)
	}
	app.Post("/api/a/:id", func(c *fiber.Ctx) error { return nil })
	if err := openapi.CheckRoutes(app, doc); err == nil || !strings.Contains(err.Error(), "POST /api/a/{id}") {
		t.Fatalf("undocumented POST: %v", err)
	}
	if err := openapi.CheckRoutes(app, []byte(`{"swagger":"2.0"}`)); err == nil {
		t.Fatal("a Swagger 2 document passed")
	}
}
