package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/payment/sandbox"
	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/commerce/presale/api"
	"github.com/livesell/livesell/commerce/schema"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

const adminToken = "admin-token-for-tests-0123456789"

type server struct {
	app    *fiber.App
	users  *auth.Verifier
	orders *order.Service
	svc    *presale.Service
}

func newServer(t *testing.T, b *backend.Backends, ns string) *server {
	t.Helper()
	ctx := context.Background()
	if err := schema.Migrate(ctx, b.SQL); err != nil {
		t.Fatal(err)
	}
	st, err := stock.New(ctx, b.Redis, ns)
	if err != nil {
		t.Fatal(err)
	}
	orders := order.NewService(order.NewStore(b.SQL, nil), st, catalog.NewCache(catalog.NewStore(b.SQL), time.Second),
		[]payment.Provider{sandbox.New("s3cret", time.Minute)}, order.Options{Log: testenv.Logger(t)})
	passes, err := presale.NewPasses(ctx, b, ns, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(passes.Close)
	svc, err := presale.New(ctx, b, ns, orders, passes, presale.Options{Log: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	users := auth.NewVerifier([]byte("jwt-secret-for-tests-0123456789abcdef"), "")
	a := auth.New(auth.Options{AdminToken: adminToken, Users: users})
	app := fiber.New(fiber.Config{ErrorHandler: apierr.FiberHandler(testenv.Logger(t))})
	api.New(svc, passes, a).Mount(app)
	return &server{app: app, users: users, orders: orders, svc: svc}
}

func (s *server) token(t *testing.T, user string) string {
	tok, _, err := s.users.Mint(user, user, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (s *server) do(t *testing.T, method, path, bearer, ctype, body string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := s.app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

const offerBody = `{"title":"Launch","starts_at":"2030-01-01T12:00:00Z","currency":"CNY","tiers":[
 {"name":"standard","quantity":1,"mode":"tiered","steps":[{"quantity":1,"price_minor":4900}],"comment":true},
 {"name":"vip","quantity":5,"mode":"deposit","price_minor":19900,"deposit_minor":2000,"balance_due_at":"2029-12-31T00:00:00Z","deposit_rule":"forfeit","sources":["backstage"],"highlight":true}]}`

// TestBadInputsAnswerCatalogueErrors: every bad input gets its status and
// the JSON error of the catalogue.
func TestBadInputsAnswerCatalogueErrors(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		s := newServer(t, b, ns)
		ann, bob := s.token(t, "ann"), s.token(t, "bob")
		const J = "application/json"
		if st, raw := s.do(t, "PUT", "/api/rooms/show/presale", adminToken, J, offerBody); st != 200 {
			t.Fatalf("put offer: %d %s", st, raw)
		}
		st, raw := s.do(t, "POST", "/api/rooms/show/presale/tickets", ann, J, `{"tier":"standard"}`)
		if st != 201 {
			t.Fatalf("buy: %d %s", st, raw)
		}
		var fullTicket presale.Purchase
		json.Unmarshal(raw, &fullTicket)
		for _, c := range []struct {
			name, method, path, bearer, ctype, body string
			status                                  int
			code                                    apierr.Code
		}{
			{"bad room id", "GET", "/api/rooms/bad%20room!/presale", "", "", "", 400, apierr.CodeInvalidRoomID},
			{"no offer", "GET", "/api/rooms/nosuch/presale", "", "", "", 404, apierr.CodePresaleNotFound},
			{"offer without credentials", "PUT", "/api/rooms/show/presale", "", J, offerBody, 401, apierr.CodeMissingToken},
			{"offer by a buyer", "PUT", "/api/rooms/show/presale", ann, J, offerBody, 401, ""},
			{"offer not JSON", "PUT", "/api/rooms/show/presale", adminToken, J, `{`, 400, apierr.CodeInvalidJSON},
			{"offer unknown field", "PUT", "/api/rooms/show/presale", adminToken, J, `{"nope":1}`, 400, apierr.CodeInvalidJSON},
			{"offer as text", "PUT", "/api/rooms/show/presale", adminToken, "text/plain", offerBody, 415, apierr.CodeUnsupportedMediaType},
			{"offer without tiers", "PUT", "/api/rooms/show/presale", adminToken, J, `{"title":"x","starts_at":"2030-01-01T00:00:00Z","currency":"CNY","tiers":[]}`, 400, apierr.CodeInvalidOffer},
			{"offer bad mode", "PUT", "/api/rooms/show/presale", adminToken, J, `{"title":"x","starts_at":"2030-01-01T00:00:00Z","currency":"CNY","tiers":[{"name":"a","quantity":1,"mode":"free"}]}`, 400, apierr.CodeInvalidOffer},
			{"offer deposit after the show", "PUT", "/api/rooms/show/presale", adminToken, J, `{"title":"x","starts_at":"2030-01-01T00:00:00Z","currency":"CNY","tiers":[{"name":"a","quantity":1,"mode":"deposit","price_minor":100,"deposit_minor":10,"balance_due_at":"2030-02-01T00:00:00Z","deposit_rule":"forfeit"}]}`, 400, apierr.CodeInvalidOffer},
			{"buy anonymous", "POST", "/api/rooms/show/presale/tickets", "", J, `{"tier":"standard"}`, 401, apierr.CodeMissingToken},
			{"buy as admin", "POST", "/api/rooms/show/presale/tickets", adminToken, J, `{"tier":"standard"}`, 403, apierr.CodeBuyerOnly},
			{"buy without tier", "POST", "/api/rooms/show/presale/tickets", bob, J, `{}`, 400, apierr.CodeInvalidTicketRequest},
			{"buy bad pay", "POST", "/api/rooms/show/presale/tickets", bob, J, `{"tier":"standard","pay":"later"}`, 400, apierr.CodeInvalidTicketRequest},
			{"buy deposit on a full tier", "POST", "/api/rooms/show/presale/tickets", bob, J, `{"tier":"standard","pay":"deposit"}`, 400, apierr.CodeInvalidTicketRequest},
			{"buy unknown tier", "POST", "/api/rooms/show/presale/tickets", bob, J, `{"tier":"gold"}`, 404, apierr.CodeTierNotFound},
			{"buy no offer", "POST", "/api/rooms/nosuch/presale/tickets", bob, J, `{"tier":"standard"}`, 404, apierr.CodePresaleNotFound},
			{"buy sold out", "POST", "/api/rooms/show/presale/tickets", bob, J, `{"tier":"standard"}`, 409, apierr.CodeTierSoldOut},
			{"buy past the limit", "POST", "/api/rooms/show/presale/tickets", ann, J, `{"tier":"vip"}`, 201, ""},
			{"buy a second vip", "POST", "/api/rooms/show/presale/tickets", ann, J, `{"tier":"vip"}`, 409, apierr.CodeTicketLimit},
			{"buy as text", "POST", "/api/rooms/show/presale/tickets", bob, "text/plain", `{"tier":"vip"}`, 415, apierr.CodeUnsupportedMediaType},
			{"view bad visitor", "POST", "/api/rooms/show/presale/views", "", J, `{"visitor":"x"}`, 400, apierr.CodeInvalidView},
			{"view no offer", "POST", "/api/rooms/nosuch/presale/views", "", J, `{"visitor":"visitor-0001"}`, 404, apierr.CodePresaleNotFound},
			{"view counted", "POST", "/api/rooms/show/presale/views", "", J, `{"visitor":"visitor-0001"}`, 204, ""},
			{"balance of a full ticket", "POST", "/api/presale/tickets/" + fullTicket.Ticket.ID + "/balance", ann, "", "", 409, apierr.CodeTicketState},
			{"balance of someone else's", "POST", "/api/presale/tickets/" + fullTicket.Ticket.ID + "/balance", bob, "", "", 404, apierr.CodeTicketNotFound},
			{"balance of nothing", "POST", "/api/presale/tickets/tkt_nosuch/balance", bob, "", "", 404, apierr.CodeTicketNotFound},
			{"refund by a buyer", "POST", "/api/presale/tickets/" + fullTicket.Ticket.ID + "/refund", ann, J, `{}`, 401, ""},
			{"refund of nothing", "POST", "/api/presale/tickets/tkt_nosuch/refund", adminToken, J, `{}`, 404, apierr.CodeTicketNotFound},
			{"refund long reason", "POST", "/api/presale/tickets/" + fullTicket.Ticket.ID + "/refund", adminToken, J, `{"reason":"` + strings.Repeat("x", 65) + `"}`, 400, apierr.CodeInvalidTicketRequest},
			{"grant without user", "POST", "/api/rooms/show/presale/entitlements", adminToken, J, `{"tier":"vip"}`, 400, apierr.CodeInvalidEntitlement},
			{"grant unknown tier", "POST", "/api/rooms/show/presale/entitlements", adminToken, J, `{"user_id":"cal","tier":"gold"}`, 404, apierr.CodeTierNotFound},
			{"grant bad user id", "POST", "/api/rooms/show/presale/entitlements", adminToken, J, `{"user_id":"a\u0001b"}`, 400, apierr.CodeInvalidEntitlement},
			{"grant no offer", "POST", "/api/rooms/nosuch/presale/entitlements", adminToken, J, `{"user_id":"cal"}`, 404, apierr.CodePresaleNotFound},
			{"grant by a buyer", "POST", "/api/rooms/show/presale/entitlements", ann, J, `{"user_id":"ann"}`, 401, ""},
			{"grant", "POST", "/api/rooms/show/presale/entitlements", adminToken, J, `{"user_id":"cal","tier":"vip"}`, 201, ""},
			{"revoke nothing", "DELETE", "/api/rooms/show/presale/entitlements/nobody", adminToken, "", "", 404, apierr.CodeEntitlementNotFound},
			{"revoke", "DELETE", "/api/rooms/show/presale/entitlements/cal", adminToken, "", "", 204, ""},
			{"guests as JSON", "POST", "/api/rooms/show/presale/guests", adminToken, J, `["a"]`, 415, apierr.CodeUnsupportedMediaType},
			{"guests too many lines", "POST", "/api/rooms/show/presale/guests", adminToken, "text/csv", strings.Repeat("u\n", presale.MaxGuestLines+1), 400, apierr.CodeInvalidGuestList},
			{"guests no offer", "POST", "/api/rooms/nosuch/presale/guests", adminToken, "text/csv", "u1\n", 404, apierr.CodePresaleNotFound},
			{"stats bad format", "GET", "/api/rooms/show/presale/stats?format=xml", adminToken, "", "", 400, apierr.CodeInvalidRequest},
			{"stats by a buyer", "GET", "/api/rooms/show/presale/stats", ann, "", "", 401, ""},
			{"stats no offer", "GET", "/api/rooms/nosuch/presale/stats", adminToken, "", "", 404, apierr.CodePresaleNotFound},
			{"referrals no offer", "GET", "/api/rooms/nosuch/presale/referrals", adminToken, "", "", 404, apierr.CodePresaleNotFound},
			{"my tickets anonymous", "GET", "/api/me/presale/tickets", "", "", "", 401, apierr.CodeMissingToken},
			{"pass forged token", "GET", "/api/rooms/show/presale/pass", "forged", "", "", 401, apierr.CodeInvalidToken},
		} {
			t.Run(c.name, func(t *testing.T) {
				st, raw := s.do(t, c.method, c.path, c.bearer, c.ctype, c.body)
				if st != c.status {
					t.Fatalf("%d, want %d: %s", st, c.status, raw)
				}
				if st < 400 {
					return
				}
				var e apierr.Body
				if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
					t.Fatalf("not the error shape: %s", raw)
				}
				if c.code != "" && e.Error.Code != string(c.code) {
					t.Fatalf("code %s, want %s (%s)", e.Error.Code, c.code, e.Error.Message)
				}
				if entry, ok := apierr.Lookup(apierr.Code(e.Error.Code)); !ok || entry.Status != st {
					t.Fatalf("code %s is not in the catalogue with status %d", e.Error.Code, st)
				}
			})
		}
	})
}

// TestBuyPayAndPassOverHTTP walks the buyer's path: the public page's
// data, a ticket, the payment through the order API's provider, the pass,
// my tickets with a share link, the guest list, the analytics as CSV.
func TestBuyPayAndPassOverHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		s := newServer(t, b, ns)
		ann := s.token(t, "ann")
		const J = "application/json"
		if st, raw := s.do(t, "PUT", "/api/rooms/show/presale", adminToken, J, offerBody); st != 200 {
			t.Fatalf("put offer: %d %s", st, raw)
		}
		st, raw := s.do(t, "GET", "/api/rooms/show/presale/pass", "", "", "")
		var pass api.PassView
		json.Unmarshal(raw, &pass)
		if st != 200 || !pass.Ticketed || pass.OK {
			t.Fatalf("anonymous pass: %d %s", st, raw)
		}
		st, raw = s.do(t, "POST", "/api/rooms/show/presale/tickets", ann, J, `{"tier":"standard"}`)
		var p presale.Purchase
		if err := json.Unmarshal(raw, &p); st != http.StatusCreated || err != nil || p.Order.AmountMinor != 4900 || p.Order.Status != order.Pending {
			t.Fatalf("buy: %d %s", st, raw)
		}
		co, err := s.orders.Payments.Pay(context.Background(), p.Order.ID, "ann", false, "sandbox", "http://127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, oc, err := s.orders.Payments.ApplyNotice(context.Background(), payment.Notice{Provider: "sandbox", PaymentID: co.PaymentID, TransactionID: "t1", Paid: true, AmountMinor: 4900, Currency: "CNY"}); err != nil || oc != order.OutcomePaid {
			t.Fatal(oc, err)
		}
		st, raw = s.do(t, "GET", "/api/rooms/show/presale/pass", ann, "", "")
		json.Unmarshal(raw, &pass)
		if st != 200 || !pass.OK || pass.Tier != "standard" || !pass.Comment {
			t.Fatalf("ann's pass: %d %s", st, raw)
		}
		st, raw = s.do(t, "GET", "/api/me/presale/tickets", ann, "", "")
		if st != 200 || !strings.Contains(string(raw), `"status":"paid"`) || !strings.Contains(string(raw), `"share_url":"/presale/show?ref=`) {
			t.Fatalf("my tickets: %d %s", st, raw)
		}
		st, raw = s.do(t, "GET", "/api/rooms/show/presale", "", "", "")
		if st != 200 || !strings.Contains(string(raw), `"left":0`) {
			t.Fatalf("offer view: %d %s", st, raw)
		}
		st, raw = s.do(t, "POST", "/api/rooms/show/presale/guests", adminToken, "text/csv", "user_id,tier\nbea,vip\n,vip\n")
		if st != 200 || !strings.Contains(string(raw), `"granted":1`) || !strings.Contains(string(raw), `{"line":3,"code":"invalid_user_id"`) {
			t.Fatalf("guests: %d %s", st, raw)
		}
		st, raw = s.do(t, "GET", "/api/rooms/show/presale/stats?format=csv", adminToken, "", "")
		if st != 200 || !strings.HasPrefix(string(raw), "room,tier,views") || !strings.Contains(string(raw), "show,standard,0,0,1,1,") {
			t.Fatalf("stats csv: %d %s", st, raw)
		}
		st, raw = s.do(t, "GET", "/api/rooms/show/presale/stats", adminToken, "", "")
		if st != 200 || !strings.Contains(string(raw), `"revenue_minor":4900`) {
			t.Fatalf("stats json: %d %s", st, raw)
		}
	})
}

func FuzzBodies(f *testing.F) {
	for _, s := range []string{`{"tier":"vip","pay":"deposit","ref":"abc"}`, `{"visitor":"visitor-0001"}`, `{"user_id":"u1","tier":"vip"}`, `{`, `[]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := api.ParseBuy(b); err == nil && (r.Tier == "" || len(r.Ref) > 64) {
			t.Fatalf("buy accepted %+v", r)
		}
		api.ParseView(b)
		if g, err := api.ParseGrant(b); err == nil && (g.UserID == "" || len(g.UserID) > 128) {
			t.Fatalf("grant accepted %+v", g)
		}
	})
}
