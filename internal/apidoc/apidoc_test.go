package apidoc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apidoc"
)

func TestEmbeddedDocumentIsValid(t *testing.T) {
	js, err := apidoc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string][]byte{"json": js, "yaml": apidoc.YAML()} {
		t.Run(name, func(t *testing.T) {
			doc, err := apidoc.Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := doc.Validate(); err != nil {
				t.Fatal(err)
			}
			ops := doc.Operations()
			// Every capability is in the one document.
			for _, want := range []apidoc.Operation{
				{Method: "GET", Path: "/healthz"},
				{Method: "POST", Path: "/api/rooms"},
				{Method: "POST", Path: "/whip/{room}"},
				{Method: "PATCH", Path: "/whep/{room}/{session}"},
				{Method: "GET", Path: "/ws/rooms/{room}"},
				{Method: "PUT", Path: "/api/moderation/words"},
				{Method: "POST", Path: "/api/orders"},
				{Method: "GET", Path: "/api/openapi.json"},
			} {
				if !doc.Has(want) {
					t.Errorf("%s is not documented (of %d operations)", want, len(ops))
				}
			}
		})
	}
}

// TestDocumentDetails pins what clients rely on: content types, headers
// and statuses of the media endpoints, and the shared Error schema.
func TestDocumentDetails(t *testing.T) {
	js, _ := apidoc.JSON()
	type operation struct {
		Parameters  []map[string]any `json:"parameters"`
		RequestBody struct {
			Content map[string]any `json:"content"`
		} `json:"requestBody"`
		Responses map[string]struct {
			Headers map[string]any `json:"headers"`
			Content map[string]any `json:"content"`
		} `json:"responses"`
	}
	var d struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(js, &d); err != nil {
		t.Fatal(err)
	}
	op := func(path, method string) operation {
		var o operation
		if err := json.Unmarshal(d.Paths[path][method], &o); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return o
	}
	if d.Components.Schemas["Error"] == nil {
		t.Fatal("no shared Error schema")
	}
	for _, k := range []string{"whip", "whep"} {
		post := op("/"+k+"/{room}", "post")
		if post.RequestBody.Content["application/sdp"] == nil {
			t.Errorf("POST /%s/{room} does not take application/sdp", k)
		}
		created := post.Responses["201"]
		if created.Content["application/sdp"] == nil {
			t.Errorf("POST /%s/{room} 201 is not application/sdp", k)
		}
		for _, h := range []string{"Location", "ETag", "Link", "Accept-Patch"} {
			if created.Headers[h] == nil {
				t.Errorf("POST /%s/{room} 201 lacks header %s", k, h)
			}
		}
		if post.Responses["503"].Headers["Retry-After"] == nil {
			t.Errorf("POST /%s/{room} 503 lacks Retry-After", k)
		}
		patch := op("/"+k+"/{room}/{session}", "patch")
		if patch.RequestBody.Content["application/trickle-ice-sdpfrag"] == nil {
			t.Errorf("PATCH /%s session does not take application/trickle-ice-sdpfrag", k)
		}
		for _, code := range []string{"200", "204", "412", "428"} {
			if _, ok := patch.Responses[code]; !ok {
				t.Errorf("PATCH /%s session lacks %s", k, code)
			}
		}
		if len(patch.Parameters) != 1 || !strings.Contains(patch.Parameters[0]["$ref"].(string), "ifMatch") {
			t.Errorf("PATCH /%s session does not document If-Match: %v", k, patch.Parameters)
		}
	}
	if op("/whep/{room}", "post").Responses["409"].Headers["Retry-After"] == nil {
		t.Error("WHEP 409 not_live lacks Retry-After")
	}
}

func TestValidateReportsProblems(t *testing.T) {
	const head = `{"openapi":"3.0.3","info":{"title":"t","version":"1"},` +
		`"components":{"securitySchemes":{"admin":{"type":"http","scheme":"bearer"}},"schemas":{"E":{"type":"object"}}},`
	tests := []struct {
		name, paths, want string
	}{
		{"valid", `"paths":{"/a/{id}":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"get":{"responses":{"200":{"description":"ok"}}}}}`, ""},
		{"broken ref", `"paths":{"/a":{"get":{"responses":{"200":{"$ref":"#/components/responses/Nope"}}}}}`, `no "responses"`},
		{"external ref", `"paths":{"/a":{"get":{"responses":{"200":{"description":"x","content":{"application/json":{"schema":{"$ref":"other.yaml#/E"}}}}}}}}`, "not a local reference"},
		{"no responses", `"paths":{"/a":{"get":{}}}`, "no responses"},
		{"bad status", `"paths":{"/a":{"get":{"responses":{"2000":{"description":"x"}}}}}`, "not a status code"},
		{"no description", `"paths":{"/a":{"get":{"responses":{"200":{}}}}}`, "no description"},
		{"undeclared path param", `"paths":{"/a/{id}":{"get":{"responses":{"200":{"description":"x"}}}}}`, "{id} is not declared"},
		{"param not in path", `"paths":{"/a":{"get":{"parameters":[{"name":"id","in":"path","required":true,"schema":{}}],"responses":{"200":{"description":"x"}}}}}`, "id is not in the path"},
		{"optional path param", `"paths":{"/a/{id}":{"get":{"parameters":[{"name":"id","in":"path","schema":{}}],"responses":{"200":{"description":"x"}}}}}`, "must be required"},
		{"bad in", `"paths":{"/a":{"get":{"parameters":[{"name":"x","in":"body","schema":{}}],"responses":{"200":{"description":"x"}}}}}`, "not query, header, path or cookie"},
		{"unknown scheme", `"paths":{"/a":{"get":{"security":[{"root":[]}],"responses":{"200":{"description":"x"}}}}}`, `scheme "root"`},
		{"no slash", `"paths":{"a":{"get":{"responses":{"200":{"description":"x"}}}}}`, "does not start with /"},
		{"unknown method", `"paths":{"/a":{"fetch":{"responses":{"200":{"description":"x"}}}}}`, `unknown field "fetch"`},
		{"empty body", `"paths":{"/a":{"post":{"requestBody":{"content":{}},"responses":{"200":{"description":"x"}}}}}`, "requestBody: no content"},
		{"duplicate operationId", `"paths":{"/a":{"get":{"operationId":"x","responses":{"200":{"description":"x"}}},"put":{"operationId":"x","responses":{"200":{"description":"x"}}}}}`, `"x" is also used`},
		{"unbalanced", `"paths":{"/a/{id":{"get":{"responses":{"200":{"description":"x"}}}}}`, "unbalanced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := apidoc.Parse([]byte(head + tt.paths + "}"))
			if err != nil {
				t.Fatal(err)
			}
			err = doc.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("valid document refused: %v", err)
				}
				return
			}
			var ve *apidoc.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, apidoc.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want a ValidationError containing %q", err, tt.want)
			}
		})
	}
}

func TestParseRefusesNonOpenAPI3(t *testing.T) {
	for _, in := range []string{`{"swagger":"2.0","paths":{}}`, `{"openapi":"4.0.0","paths":{}}`, `{"openapi":"3.0.3"}`, `[1,2]`, `not: [valid`, ``} {
		if _, err := apidoc.Parse([]byte(in)); !errors.Is(err, apidoc.ErrInvalid) {
			t.Errorf("Parse(%q) = %v; want ErrInvalid", in, err)
		}
	}
}

func TestToOpenAPIPath(t *testing.T) {
	for in, want := range map[string]string{
		"/api/orders/:id":          "/api/orders/{id}",
		"/api/rooms/:room/stats":   "/api/rooms/{room}/stats",
		"/api/items/:id?":          "/api/items/{id}",
		"/api/segments/export.csv": "/api/segments/export.csv",
		"/assets/*":                "/assets/{path}",
		"/":                        "/",
	} {
		if got := apidoc.ToOpenAPIPath(in); got != want {
			t.Errorf("%s → %s; want %s", in, got, want)
		}
	}
}

func TestInScope(t *testing.T) {
	for path, want := range map[string]bool{
		"/api/rooms": true, "/whip/{room}": true, "/whep/:room/:session": true, "/ws/rooms/:room": true,
		"/healthz": true, "/readyz": true, "/metrics": true, "/pay/sandbox/:payment": true,
		"/": false, "/studio/:room": false, "/assets/*": false, "/web/config.json": false, "/healthzz": false,
	} {
		if got := apidoc.InScope(path); got != want {
			t.Errorf("InScope(%s) = %v", path, got)
		}
	}
}

func TestCompareBothWays(t *testing.T) {
	doc, err := apidoc.Parse([]byte(`{"openapi":"3.0.3","paths":{
		"/api/a/{id}":{"get":{},"head":{}},
		"/api/gone":{"delete":{}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	app.Use(func(c *fiber.Ctx) error { return c.Next() }) // middleware is not a route
	app.Get("/api/a/:id", func(c *fiber.Ctx) error { return nil })
	app.Post("/api/a/:id", func(c *fiber.Ctx) error { return nil })
	app.Get("/studio/:room", func(c *fiber.Ctx) error { return nil }) // out of scope
	d := apidoc.Compare(app, doc, apidoc.InScope)
	want := apidoc.Diff{
		Undocumented: []apidoc.Operation{{Method: "POST", Path: "/api/a/{id}"}},
		Unregistered: []apidoc.Operation{{Method: "DELETE", Path: "/api/gone"}},
	}
	if !equalOps(d.Undocumented, want.Undocumented) || !equalOps(d.Unregistered, want.Unregistered) {
		t.Fatalf("diff = %+v; want %+v", d, want)
	}
	msg := d.Err().Error()
	for _, s := range []string{"registered but not documented", "POST /api/a/{id}", "documented but not registered", "DELETE /api/gone"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, msg)
		}
	}
	app.Delete("/api/gone", func(c *fiber.Ctx) error { return nil })
	doc2, _ := apidoc.Parse([]byte(`{"openapi":"3.0.3","paths":{"/api/a/{id}":{"get":{},"post":{}},"/api/gone":{"delete":{}}}}`))
	if err := apidoc.Compare(app, doc2, apidoc.InScope).Err(); err != nil {
		t.Fatalf("agreeing app and document: %v", err)
	}
}

func equalOps(a, b []apidoc.Operation) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMountServesTheDocument(t *testing.T) {
	app := fiber.New()
	apidoc.Mount(app)
	resp, err := app.Test(httptest.NewRequest(http.MethodGet, apidoc.Path, nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want, _ := apidoc.JSON()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !bytes.Equal(body, want) {
		t.Fatalf("GET %s: %d %s, %d bytes", apidoc.Path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
}

func FuzzParseValidate(f *testing.F) {
	js, _ := apidoc.JSON()
	f.Add(js)
	f.Add([]byte(`{"openapi":"3.0.3","paths":{"/a/{b}":{"get":{"responses":{"200":{"$ref":"#/x~1y/~0"}}}}}}`))
	f.Add([]byte(`{"openapi":"3.1.0","paths":{"/{}":{"parameters":[{"$ref":"#/paths"}],"get":{"responses":{"default":{"$ref":"#"}}}}}}`))
	f.Add([]byte("openapi: 3.0.0\npaths: {/a: {get: {security: [{}], tags: [1]}}}\ntags: [{}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := apidoc.Parse(b)
		if err != nil {
			return
		}
		doc.Validate()
		for _, op := range doc.Operations() {
			doc.Documents(op, 200)
			doc.Secured(op)
			doc.ContentTypes(op, 200)
			doc.CheckBody(op, 200, b)
		}
	})
}

func FuzzToOpenAPIPath(f *testing.F) {
	for _, s := range []string{"/api/orders/:id", "/:a?/:b+/*", "", "/::/:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := apidoc.ToOpenAPIPath(s)
		if strings.Count(out, "/") != strings.Count(s, "/") {
			t.Fatalf("%q → %q changed the segments", s, out)
		}
	})
}

func TestCheckBody(t *testing.T) {
	doc, err := apidoc.Parse([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{
		"200":{"description":"x","content":{"application/json":{"schema":{"$ref":"#/components/schemas/B"}}}},
		"204":{"description":"no body"}}}}},
	"components":{"schemas":{
		"A":{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"n":{"type":"integer"},"at":{"type":"string","format":"date-time"}}},
		"B":{"allOf":[{"$ref":"#/components/schemas/A"},{"type":"object","properties":{
			"state":{"type":"string","enum":["on","off"]},"ratio":{"type":"number","nullable":true},
			"list":{"type":"array","items":{"type":"integer"}},"free":{"type":"object","additionalProperties":true}}}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	op := apidoc.Operation{Method: "GET", Path: "/a"}
	tests := []struct {
		name, body, want string
	}{
		{"conforming", `{"id":"x","n":3,"at":"2026-11-24T17:00:00.123Z","state":"on","ratio":null,"list":[1,2],"free":{"any":1}}`, ""},
		{"missing required", `{"n":3}`, `required property "id"`},
		{"wrong type", `{"id":1}`, "$.id: a number, but the schema says string"},
		{"not an integer", `{"id":"x","n":1.5}`, "$.n: a number, but the schema says integer"},
		{"enum", `{"id":"x","state":"maybe"}`, "is not one of"},
		{"date-time", `{"id":"x","at":"yesterday"}`, "not an RFC 3339 date-time"},
		{"undocumented property", `{"id":"x","secret":1}`, `property "secret" is not documented`},
		{"null not nullable", `{"id":null}`, "not nullable"},
		{"array items", `{"id":"x","list":[1,"2"]}`, "$.list[1]"},
		{"not JSON", `{`, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := doc.CheckBody(op, 200, []byte(tt.body))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want %q", err, tt.want)
			}
		})
	}
	if err := doc.CheckBody(op, 204, nil); err != nil {
		t.Fatalf("a response without a schema: %v", err)
	}
	if err := doc.CheckBody(op, 500, nil); err == nil {
		t.Fatal("an undocumented status passed")
	}
}
