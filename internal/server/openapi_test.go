package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apidoc"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu/synth"
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
	ct := ""
	if body != "" {
		ct = fiber.MIMEApplicationJSON
	}
	resp, out := exchange(t, s, method, path, bearer, ct, body)
	return resp.StatusCode, resp.Header.Get(fiber.HeaderContentType), out
}

// exchange makes one request with a body of type ct and extra headers
// (name, value, …) and returns the response and its body.
func exchange(t *testing.T, s *server.Server, method, path, bearer, ct, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ct != "" {
		req.Header.Set(fiber.HeaderContentType, ct)
	}
	if bearer != "" {
		req.Header.Set(fiber.HeaderAuthorization, "Bearer "+bearer)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
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
// node, without credentials, with a forged token and (for reads) with the
// admin token, and
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
		{"forged token", "lsk_forged", func(apidoc.Operation) bool { return true }},
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
				if pass.bearer != admin && doc.Secured(op) && status < 300 {
					t.Errorf("%s needs credentials but answered %d to %q", what, status, pass.name)
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
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Media.ICEInterfaces = []string{"lo"}
	cfg.Commerce.Sandbox = "on" // the tour pays without money
	s := newServerWith(t, cfg)
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
		do(buyer, "POST", "/pay/sandbox/{payment}/{outcome}", "", http.StatusOK) // the buyer's own token proves the payer
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

	do(admin, "DELETE", "/api/products/{id}", "", http.StatusConflict) // presented, and it has orders
	do(pushKey, "DELETE", "/api/rooms/{room}/presenting", "", http.StatusNoContent)
	vals["id"] = str(do(admin, "POST", "/api/products", `{"title":"Typo","price_minor":100,"currency":"USD","stock":1}`, http.StatusCreated), "id")
	do(admin, "DELETE", "/api/products/{id}", "", http.StatusNoContent)
	do(admin, "DELETE", "/api/products/{id}", "", http.StatusNotFound)
	vals["id"] = product
	do(admin, "POST", "/api/rooms/{room}/end", "", http.StatusOK)
}

// TestOpenAPIMediaExchange publishes over WHIP and plays over WHEP with
// real Pion peers (ICE on loopback) and checks each answer against the
// document: statuses, media types (application/sdp,
// application/trickle-ice-sdpfrag) and the documented headers (Location,
// ETag, Accept-Patch, Accept-Post, Allow), the If-Match rules of PATCH and
// the layer switch's JSON body.
func TestOpenAPIMediaExchange(t *testing.T) {
	s := newServer(t)
	doc := servedDocument(t, s)
	admin := s.AdminToken()
	var created struct {
		PushKey string `json:"push_key"`
	}
	_, _, raw := send(t, s, http.MethodPost, "/api/rooms", admin, `{"id":"media","title":"Media"}`)
	if err := json.Unmarshal(raw, &created); err != nil || created.PushKey == "" {
		t.Fatalf("create room: %s", raw)
	}

	// check sends one request and checks the answer against op's documentation.
	check := func(tmpl, method, path, bearer, ct, body string, want int, headers ...string) (*http.Response, []byte) {
		t.Helper()
		op := apidoc.Operation{Method: method, Path: tmpl}
		resp, out := exchange(t, s, method, path, bearer, ct, body, headers...)
		if resp.StatusCode != want {
			t.Fatalf("%s (%s): %d, want %d: %.300s", op, path, resp.StatusCode, want, out)
		}
		if !doc.Documents(op, want) {
			t.Fatalf("%s: %d is not documented", op, want)
		}
		for _, h := range doc.Headers(op, want) {
			if h == "Link" {
				continue // only with ICE servers configured
			}
			if resp.Header.Get(h) == "" {
				t.Errorf("%s %d: documented header %s is missing", op, want, h)
			}
		}
		for _, h := range []string{"Location", "Etag", "Accept-Patch", "Accept-Post"} {
			if resp.Header.Get(h) != "" && !slices.Contains(doc.Headers(op, want), h) {
				t.Errorf("%s %d: header %s is sent but not documented (documented: %v)", op, want, h, doc.Headers(op, want))
			}
		}
		if len(out) > 0 && method != http.MethodHead {
			mt, _, _ := mime.ParseMediaType(resp.Header.Get(fiber.HeaderContentType))
			if types := doc.ContentTypes(op, want); !slices.Contains(types, mt) {
				t.Errorf("%s %d: media type %q; documented %v", op, want, mt, types)
			}
			if mt == fiber.MIMEApplicationJSON {
				if err := doc.CheckBody(op, want, out); err != nil {
					t.Error(err)
				}
			}
		}
		return resp, out
	}

	api, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	check("/whip/{room}", "OPTIONS", "/whip/media", "", "", "", http.StatusNoContent)
	check("/whip/{room}", "HEAD", "/whip/media", "", "", "", http.StatusOK)
	pub, err := synth.NewPublisher(api, synth.PublisherOptions{FPS: 15, Bitrates: []int{100_000}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	offer, err := pub.Offer()
	if err != nil {
		t.Fatal(err)
	}
	check("/whip/{room}", "POST", "/whip/media", created.PushKey, "text/plain", offer, http.StatusUnsupportedMediaType)
	resp, answer := check("/whip/{room}", "POST", "/whip/media", created.PushKey, "application/sdp", offer, http.StatusCreated)
	whip, etag := resp.Header.Get("Location"), resp.Header.Get("ETag")
	if err := pub.Start(string(answer)); err != nil {
		t.Fatal(err)
	}
	const sess = "/whip/{room}/{session}"
	check(sess, "GET", whip, created.PushKey, "", "", http.StatusNoContent)
	check(sess, "OPTIONS", whip, "", "", "", http.StatusNoContent)
	frag := "a=end-of-candidates\r\n"
	check(sess, "PATCH", whip, created.PushKey, "application/trickle-ice-sdpfrag", frag, http.StatusPreconditionRequired)
	check(sess, "PATCH", whip, created.PushKey, "application/trickle-ice-sdpfrag", frag, http.StatusPreconditionFailed, "If-Match", `"stale"`)
	check(sess, "PATCH", whip, created.PushKey, "application/trickle-ice-sdpfrag", frag, http.StatusNoContent, "If-Match", etag)

	// A viewer plays once the room is live.
	testenv.Eventually(t, 10*time.Second, func() bool {
		_, _, b := call(t, s, http.MethodGet, "/api/rooms/media", "")
		return strings.Contains(string(b), `"live":true`)
	}, "the room did not go live")
	viewer, err := synth.NewViewer(api, synth.ViewerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { viewer.Close() })
	voffer, err := viewer.Offer()
	if err != nil {
		t.Fatal(err)
	}
	check("/whep/{room}", "GET", "/whep/media", "", "", "", http.StatusOK)
	resp, vanswer := check("/whep/{room}", "POST", "/whep/media?layer=auto", "", "application/sdp", voffer, http.StatusCreated)
	whep := resp.Header.Get("Location")
	if err := viewer.Start(string(vanswer)); err != nil {
		t.Fatal(err)
	}
	check("/whep/{room}/{session}", "HEAD", whep, "", "", "", http.StatusNoContent)
	check("/whep/{room}/{session}/layer", "PATCH", whep+"/layer", "", fiber.MIMEApplicationJSON, `{"layer":"auto"}`, http.StatusOK)
	check("/whep/{room}/{session}/layer", "PATCH", whep+"/layer", "", fiber.MIMEApplicationJSON, `{"layer":"no such layer!"}`, http.StatusBadRequest)
	check("/whep/{room}/{session}", "DELETE", whep, "", "", "", http.StatusOK)
	check("/whep/{room}/{session}", "GET", whep, "", "", "", http.StatusNotFound)
	check(sess, "DELETE", whip, created.PushKey, "", "", http.StatusOK)
}

// TestOpenAPIWebSocketUpgrade checks the documented answers of
// GET /ws/rooms/{room} on a real listener: 101 for a WebSocket upgrade,
// 404 for an unknown room, 400 for a credential in the URL.
func TestOpenAPIWebSocketUpgrade(t *testing.T) {
	s := newServer(t)
	doc := servedDocument(t, s)
	if status, _, b := send(t, s, http.MethodPost, "/api/rooms", s.AdminToken(), `{"id":"ws","title":"WS"}`); status != http.StatusCreated {
		t.Fatalf("create room: %d %s", status, b)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })

	op := apidoc.Operation{Method: http.MethodGet, Path: "/ws/rooms/{room}"}
	base := "ws://" + ln.Addr().String()
	tests := []struct {
		name, path string
		want       int
	}{
		{"upgrade", "/ws/rooms/ws", http.StatusSwitchingProtocols},
		{"unknown room", "/ws/rooms/nosuch", http.StatusNotFound},
		{"credential in the URL", "/ws/rooms/ws?token=forged", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
			defer dcancel()
			c, resp, err := websocket.Dial(dctx, base+tt.path, nil)
			if c != nil {
				c.Close(websocket.StatusNormalClosure, "")
			}
			if resp == nil {
				t.Fatalf("no HTTP answer: %v", err)
			}
			if resp.StatusCode != tt.want || !doc.Documents(op, resp.StatusCode) {
				t.Fatalf("%s: %d (documented: %v), want %d: %v", tt.path, resp.StatusCode, doc.Responses(op), tt.want, err)
			}
		})
	}
}
