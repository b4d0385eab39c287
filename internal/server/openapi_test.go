package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apidoc"
	"github.com/livesell/livesell/internal/server"
)

// probeRoom is the room the probes address.
const probeRoom = "openapi-probe"

// servedDocument fetches /api/openapi.json from s, checks it is the
// internal/apidoc document and well-formed, and parses it.
func servedDocument(t *testing.T, s *server.Server) *apidoc.Document {
	t.Helper()
	status, ct, body := call(t, s, http.MethodGet, apidoc.Path, "")
	if status != http.StatusOK || !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		t.Fatalf("GET %s: %d %s", apidoc.Path, status, ct)
	}
	want, err := apidoc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Fatalf("GET %s is not the internal/apidoc document", apidoc.Path)
	}
	doc, err := apidoc.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	return doc
}

func call(t *testing.T, s *server.Server, method, path, bearer string) (int, string, []byte) {
	t.Helper()
	return send(t, s, method, path, bearer, "")
}

// send makes one request; a non-empty body is sent as JSON.
func send(t *testing.T, s *server.Server, method, path, bearer, body string) (int, string, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	}
	if bearer != "" {
		req.Header.Set(fiber.HeaderAuthorization, "Bearer "+bearer)
	}
	resp, err := s.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get(fiber.HeaderContentType), out
}

// TestOpenAPIDocumentMatchesRoutes checks the composed node against the
// document both ways: every route it registers under /api, /whip, /whep,
// /ws, /pay and the ops endpoints (HEAD aside: Fiber adds one to every GET)
// is documented, and every documented operation is registered.
func TestOpenAPIDocumentMatchesRoutes(t *testing.T) {
	s := newServer(t)
	doc := servedDocument(t, s)

	routes := apidoc.Routes(s.App(), apidoc.InScope, false)
	if len(routes) < 60 {
		t.Fatalf("only %d routes in scope; the scope or the composition is broken: %v", len(routes), routes)
	}
	for _, prefix := range append([]string{"/api/rooms", "/api/orders", "/api/moderation/", "/whip/", "/whep/", "/ws/"}, apidoc.OpsPaths...) {
		if !slices.ContainsFunc(routes, func(op apidoc.Operation) bool { return strings.HasPrefix(op.Path, prefix) }) {
			t.Errorf("no registered route under %s: a capability is not mounted", prefix)
		}
	}
	if err := apidoc.Compare(s.App(), doc, apidoc.InScope).Err(); err != nil {
		t.Fatal(err)
	}

	t.Run("drift is reported", func(t *testing.T) {
		// A route added without documentation, and an operation documented
		// without a route, are both listed by name.
		s.App().Post("/api/rooms/:room/undocumented", func(c *fiber.Ctx) error { return nil })
		var raw map[string]any
		js, _ := apidoc.JSON()
		if err := json.Unmarshal(js, &raw); err != nil {
			t.Fatal(err)
		}
		raw["paths"].(map[string]any)["/api/ghost"] = map[string]any{"get": map[string]any{"responses": map[string]any{"200": map[string]any{"description": "x"}}}}
		b, _ := json.Marshal(raw)
		ghost, err := apidoc.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		err = apidoc.Compare(s.App(), ghost, apidoc.InScope).Err()
		if err == nil {
			t.Fatal("drift not reported")
		}
		for _, want := range []string{"POST /api/rooms/{room}/undocumented", "GET /api/ghost"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("report lacks %s:\n%v", want, err)
			}
		}
	})
}

// TestOpenAPIStatusesAreTrue sends every documented operation to a real
// node, without credentials and (for reads) with the admin token, and
// checks that the answer is one the document gives for that operation: its
// status is documented, its body has the documented media type and
// conforms to the documented schema, every error is the shared Error shape,
// and no operation that requires credentials succeeds without them.
func TestOpenAPIStatusesAreTrue(t *testing.T) {
	s := newServer(t)
	doc := servedDocument(t, s)
	admin := s.AdminToken()

	// A real room with a product bound and presented, so that the probes
	// get past the lookups to auth, and reads return documents to check.
	must := func(status int, method, path, body string) []byte {
		t.Helper()
		got, _, b := send(t, s, method, path, admin, body)
		if got != status {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, got, status, b)
		}
		return b
	}
	must(http.StatusCreated, http.MethodPost, "/api/rooms", `{"id":"`+probeRoom+`","title":"probe"}`)
	var product struct{ ID string }
	json.Unmarshal(must(http.StatusCreated, http.MethodPost, "/api/products", `{"title":"Mug","price_minor":1200,"currency":"USD","stock":5}`), &product)
	must(http.StatusOK, http.MethodPut, "/api/rooms/"+probeRoom+"/products", `{"product_ids":["`+product.ID+`"]}`)
	must(http.StatusOK, http.MethodPost, "/api/rooms/"+probeRoom+"/presenting", `{"product_id":"`+product.ID+`","live_price_minor":999}`)
	params := map[string]string{"room": probeRoom, "id": product.ID, "outcome": "pay"}

	ops := doc.Operations()
	for _, pass := range []struct {
		name   string
		bearer string
		only   func(apidoc.Operation) bool
	}{
		{"anonymous", "", func(apidoc.Operation) bool { return true }},
		{"admin reads", admin, func(op apidoc.Operation) bool { return op.Method == http.MethodGet }},
	} {
		t.Run(pass.name, func(t *testing.T) {
			n := 0
			for _, op := range ops {
				if !pass.only(op) {
					continue
				}
				n++
				path := fill(op.Path, params)
				status, ct, body := call(t, s, op.Method, path, pass.bearer)
				what := op.String() + " (" + path + ")"
				if !doc.Documents(op, status) {
					t.Errorf("%s answered %d, which is not documented (documented: %v); body %.200s", what, status, doc.Responses(op), body)
					continue
				}
				if pass.bearer == "" && doc.Secured(op) && status < 300 {
					t.Errorf("%s needs credentials but answered %d without any", what, status)
				}
				if op.Method == http.MethodHead || len(body) == 0 {
					continue
				}
				mt, _, _ := mime.ParseMediaType(ct)
				if want := doc.ContentTypes(op, status); !slices.Contains(want, mt) {
					t.Errorf("%s answered %d with %q; documented media types %v", what, status, ct, want)
				}
				if mt == fiber.MIMEApplicationJSON {
					if err := doc.CheckBody(op, status, body); err != nil {
						t.Error(err)
					}
				}
				if status >= 400 && mt == fiber.MIMEApplicationJSON {
					var e struct {
						Error *struct{ Code, Message string } `json:"error"`
					}
					if err := json.Unmarshal(body, &e); err != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
						t.Errorf("%s answered %d without the Error shape: %.200s", what, status, body)
					}
				}
			}
			if n == 0 {
				t.Fatal("no operation probed")
			}
		})
	}
}

// fill substitutes values into a path template ("nosuch" where none is given).
func fill(tmpl string, values map[string]string) string {
	parts := strings.Split(tmpl, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			v, ok := values[p[1:len(p)-1]]
			if !ok {
				v = "nosuch"
			}
			parts[i] = v
		}
	}
	return strings.Join(parts, "/")
}
