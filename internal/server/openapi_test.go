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
	tmpl, query, hasQuery := strings.Cut(tmpl, "?")
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
	if hasQuery {
		return strings.Join(parts, "/") + "?" + query
	}
	return strings.Join(parts, "/")
}

// TestOpenAPIWriteTour walks the API as an operator, an anchor (push key)
// and a buyer would — rooms, keys, tokens, products, live goods, orders,
// payments, moderation — and checks every answer against the document:
// the expected status, documented, with a body of the documented media
// type and schema.
func TestOpenAPIWriteTour(t *testing.T) {
	s := newServer(t)
	doc := servedDocument(t, s)
	admin := s.AdminToken()
	vals := map[string]string{"room": "tour", "user": "troll", "outcome": "pay"}
	do := func(bearer, method, tmpl, body string, want int) map[string]any {
		t.Helper()
		op := apidoc.Operation{Method: method, Path: strings.SplitN(tmpl, "?", 2)[0]}
		if !doc.Has(op) {
			t.Fatalf("%s is not documented", op)
		}
		status, ct, out := send(t, s, method, fill(tmpl, vals), bearer, body)
		if status != want {
			t.Fatalf("%s: %d, want %d: %.300s", op, status, want, out)
		}
		if !doc.Documents(op, status) {
			t.Errorf("%s answered %d, which is not documented", op, status)
		}
		if len(out) == 0 {
			return nil
		}
		mt, _, _ := mime.ParseMediaType(ct)
		if types := doc.ContentTypes(op, status); !slices.Contains(types, mt) {
			t.Errorf("%s answered %d with %q; documented %v", op, status, ct, types)
		}
		if mt != fiber.MIMEApplicationJSON {
			return nil
		}
		if err := doc.CheckBody(op, status, out); err != nil {
			t.Error(err)
		}
		var m map[string]any
		json.Unmarshal(out, &m)
		return m
	}
	str := func(m map[string]any, k string) string {
		t.Helper()
		v, ok := m[k].(string)
		if !ok || v == "" {
			t.Fatalf("no %s in %v", k, m)
		}
		return v
	}

	// The operator sets up a room and its keys.
	created := do(admin, "POST", "/api/rooms", `{"id":"tour","title":"Tour","private":false}`, http.StatusCreated)
	pushKey := str(created, "push_key")
	do("", "GET", "/api/rooms/{room}", "", http.StatusOK)
	do("", "GET", "/api/rooms?limit=10", "", http.StatusOK)
	do(admin, "PATCH", "/api/rooms/{room}", `{"title":"Tour 2","anonymous_chat":true}`, http.StatusOK)
	vals["key"] = str(do(admin, "POST", "/api/rooms/{room}/keys", "", http.StatusCreated), "id")
	do(admin, "GET", "/api/rooms/{room}/keys", "", http.StatusOK)
	vals["key"] = str(do(admin, "POST", "/api/rooms/{room}/keys/{key}/rotate", "", http.StatusCreated), "id")
	do(admin, "DELETE", "/api/rooms/{room}/keys/{key}", "", http.StatusOK)
	do(admin, "POST", "/api/rooms/{room}/viewer-tokens", `{"user_id":"fan","ttl_seconds":600}`, http.StatusCreated)
	buyer := str(do(admin, "POST", "/api/tokens", `{"user_id":"buyer","name":"Bea"}`, http.StatusCreated), "token")
	do(admin, "GET", "/api/moderation/words", "", http.StatusOK)
	do(admin, "PUT", "/api/moderation/words", `{"words":["spam"]}`, http.StatusOK)

	// The operator lists goods; the anchor, with the push key, sells them live.
	vals["id"] = str(do(admin, "POST", "/api/products", `{"title":"Mug","price_minor":1200,"currency":"USD","stock":5,"images":["https://example.com/m.png"]}`, http.StatusCreated), "id")
	do(admin, "PATCH", "/api/products/{id}", `{"title":"Big mug","per_user_limit":3}`, http.StatusOK)
	do(admin, "PUT", "/api/products/{id}/stock", `{"stock":10}`, http.StatusOK)
	do("", "GET", "/api/products/{id}/stock", "", http.StatusOK)
	do("", "GET", "/api/products?limit=5", "", http.StatusOK)
	do(pushKey, "PUT", "/api/rooms/{room}/products", `{"product_ids":["`+vals["id"]+`"]}`, http.StatusOK)
	do(pushKey, "POST", "/api/rooms/{room}/presenting", `{"product_id":"`+vals["id"]+`","live_price_minor":999}`, http.StatusOK)
	do("", "GET", "/api/rooms/{room}/presenting", "", http.StatusOK)

	// Moderation by the anchor.
	do(pushKey, "POST", "/api/rooms/{room}/mutes", `{"user_id":"troll","seconds":60}`, http.StatusCreated)
	do(pushKey, "DELETE", "/api/rooms/{room}/mutes/{user}", "", http.StatusNoContent)
	do(pushKey, "POST", "/api/rooms/{room}/bans", `{"user_id":"troll"}`, http.StatusCreated)
	do(pushKey, "DELETE", "/api/rooms/{room}/bans/{user}", "", http.StatusNoContent)
	do(pushKey, "PUT", "/api/rooms/{room}/pinned", `{"text":"Free shipping today"}`, http.StatusOK)
	product := vals["id"]
	vals["id"] = "m1" // a danmaku id
	do(pushKey, "DELETE", "/api/rooms/{room}/danmaku/{id}", "", http.StatusNoContent)
	vals["id"] = product
	do("", "GET", "/api/rooms/{room}/online", "", http.StatusOK)
	do(pushKey, "GET", "/api/rooms/{room}/timeline", "", http.StatusOK)

	// A buyer orders, cancels, orders again and pays in the sandbox; the
	// operator ships, completes and refunds.
	order := func() string {
		return str(do(buyer, "POST", "/api/orders", `{"product_id":"`+product+`","room":"tour"}`, http.StatusCreated), "id")
	}
	pay := func() {
		vals["payment"] = str(do(buyer, "POST", "/api/orders/{id}/pay", `{"provider":"sandbox"}`, http.StatusOK), "payment_id")
		do("", "GET", "/pay/sandbox/{payment}", "", http.StatusOK)
		do("", "POST", "/pay/sandbox/{payment}/{outcome}", "", http.StatusOK)
	}
	vals["id"] = order()
	do(buyer, "GET", "/api/orders/{id}", "", http.StatusOK)
	do(buyer, "POST", "/api/orders/{id}/cancel", "", http.StatusOK)
	vals["id"] = order()
	pay()
	do(admin, "POST", "/api/orders/{id}/ship", "", http.StatusOK)
	do(admin, "POST", "/api/orders/{id}/complete", "", http.StatusOK)
	vals["id"] = order()
	pay()
	do(admin, "POST", "/api/orders/{id}/refund", "", http.StatusOK)
	do(admin, "GET", "/api/orders?room=tour&limit=10", "", http.StatusOK)
	do(pushKey, "GET", "/api/rooms/{room}/stats", "", http.StatusOK)
	vals["id"] = "buyer"
	do(admin, "GET", "/api/users/{id}/tags", "", http.StatusOK)
	do(admin, "GET", "/api/segments/export.csv?tag=ordered", "", http.StatusOK)
	vals["id"] = product

	do(pushKey, "DELETE", "/api/rooms/{room}/presenting", "", http.StatusNoContent)
	do(admin, "POST", "/api/rooms/{room}/end", "", http.StatusOK)
}
