// Package api is the commerce capability's HTTP surface (Fiber): catalogue
// and live goods, orders, payments and their callbacks, the sandbox
// checkout page, user tags and room stats. Handlers are thin: parse,
// authorize, call the domain, write the answer; errors map to the one JSON
// error shape in one table (errors.go).
package api

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/images"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/payment/sandbox"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/commerce/tags"
	"github.com/livesell/livesell/internal/auth"
)

// Deps are what the handlers call.
type Deps struct {
	Catalog *catalog.Store
	Cache   *catalog.Cache
	Cards   *catalog.Cards
	Stock   *stock.Store
	Orders  *order.Service
	Tags    *tags.Store
	Sandbox *sandbox.Provider // nil when the sandbox is off
	// Images keeps uploaded product images (nil: uploads are refused).
	Images images.Store
	// Auth checks every credential (the server's one Authenticator).
	Auth Guard
	// Users mints user tokens (POST /api/tokens).
	Users    *auth.Verifier
	TokenTTL time.Duration
	// Rooms tells private rooms (nil: every room is public).
	Rooms RoomInfo
	// ClientAddr is the request's client address for per-address limits
	// (nil: auth.ClientAddr, the server's forwarded-address rule).
	ClientAddr func(c *fiber.Ctx) string
	// LiveMaxDiscount is the largest live discount (percent) of a product
	// whose admin set no floor of its own (0 = none).
	LiveMaxDiscount int
	// PublicURL is the node's base URL ("" derives it from each request).
	PublicURL string
	Log       *slog.Logger
}

// Rates of one node.
const (
	// OrdersPerSecond bounds the order attempts of one user.
	OrdersPerSecond = 10
	// PaysPerSecond bounds the /pay calls of one user.
	PaysPerSecond = 5
	// CallbackFailuresPerMinute bounds the refused (badly signed or stale)
	// payment callbacks from one address; beyond it they answer 429
	// without being logged. Correctly signed callbacks are never refused.
	CallbackFailuresPerMinute = 20
)

// Handler serves the commerce routes.
type Handler struct {
	d       Deps
	orders  *limiter // order attempts per user
	pays    *limiter // /pay calls per user
	badCall *limiter // refused callbacks per address
	warns   *logLimiter
}

// New returns the handlers over d.
func New(d Deps) *Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.TokenTTL <= 0 {
		d.TokenTTL = 24 * time.Hour
	}
	if d.Rooms == nil {
		d.Rooms = publicRooms{}
	}
	if d.ClientAddr == nil {
		d.ClientAddr = func(c *fiber.Ctx) string { return auth.ClientAddr(c).String() }
	}
	return &Handler{d: d, orders: newLimiter(OrdersPerSecond, time.Second), pays: newLimiter(PaysPerSecond, time.Second),
		badCall: newLimiter(CallbackFailuresPerMinute, time.Minute), warns: newLogLimiter(10 * time.Second)}
}

// Mount registers every commerce route on r.
func (h *Handler) Mount(r fiber.Router) {
	admin := h.d.Auth.Require(auth.Admin)
	user := h.d.Auth.Require(auth.User | auth.Admin)
	anchor := h.requireAnchor

	r.Post("/api/tokens", admin, h.mintToken)

	r.Post("/api/products", admin, h.createProduct)
	r.Get("/api/products", h.listProducts)
	r.Get("/api/products/:id", h.getProduct)
	r.Patch("/api/products/:id", admin, h.updateProduct)
	r.Put("/api/products/:id/stock", admin, h.setStock)
	r.Get("/api/products/:id/stock", h.getStock)
	r.Put("/api/products/:id/variants/:sku", admin, h.putVariant)
	r.Post("/api/images", admin, h.uploadImage)
	r.Get("/media/images/:name", h.serveImage)

	r.Put("/api/rooms/:room/products", anchor, h.bindRoom)
	r.Get("/api/rooms/:room/products", h.roomProducts)
	r.Post("/api/rooms/:room/presenting", anchor, h.present)
	r.Delete("/api/rooms/:room/presenting", anchor, h.unpresent)
	r.Get("/api/rooms/:room/presenting", h.presenting)
	r.Get("/api/rooms/:room/stats", anchor, h.stats)

	r.Post("/api/orders", user, h.createOrder)
	r.Get("/api/orders", admin, h.listOrders)
	r.Get("/api/me/orders", user, h.myOrders)
	r.Get("/api/orders/:id", user, h.getOrder)
	r.Post("/api/orders/:id/cancel", user, h.cancelOrder)
	r.Post("/api/orders/:id/pay", user, h.payOrder)
	r.Post("/api/orders/:id/refund", admin, h.refundOrder)
	r.Post("/api/orders/:id/ship", admin, h.advance(order.Shipped))
	r.Post("/api/orders/:id/complete", admin, h.advance(order.Completed))

	r.Get("/api/payments/providers", h.providers)
	r.Post("/api/payments/:provider/callback", h.callback)

	r.Get("/api/users/:id/tags", admin, h.userTags)
	r.Get("/api/segments/export.csv", admin, h.exportSegment)

	// Mounted always (the API document lists them); 404 while the sandbox is off.
	r.Get("/pay/sandbox/:payment", h.sandboxPage)
	r.Post("/pay/sandbox/:payment/:outcome", h.sandboxSubmit)
}

// baseURL is the node's public URL for links sent to clients.
func (h *Handler) baseURL(c *fiber.Ctx) string {
	if h.d.PublicURL != "" {
		return h.d.PublicURL
	}
	return c.BaseURL()
}
