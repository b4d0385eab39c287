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

// Handler serves the commerce routes: it mounts one handler per resource,
// all over one base.
type Handler struct {
	*base
	products *productHandler
	rooms    *roomHandler
	orders   *orderHandler
	payments *paymentHandler
	tags     *tagHandler
	images   *imageHandler
}

// base is what every resource handler shares: the deps and the steps more
// than one resource takes (the anchor check, product views, the buyer's
// own order, the node's base URL).
type base struct{ d Deps }

// productHandler serves the catalogue: products, their stock and variants.
type productHandler struct{ *base }

// roomHandler serves a room's goods: binding, presenting, stats.
type roomHandler struct{ *base }

// orderHandler serves orders and carts: create, list, read, cancel, advance.
type orderHandler struct {
	*base
	orders *limiter // order attempts per user
}

// paymentHandler serves payments: pay, refund, providers' callbacks and
// the sandbox checkout page.
type paymentHandler struct {
	*base
	pays    *limiter // /pay calls per user
	badCall *limiter // refused callbacks per address
	warns   *logLimiter
}

// tagHandler serves user tags and segment exports.
type tagHandler struct{ *base }

// imageHandler serves product image uploads and downloads.
type imageHandler struct{ *base }

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
	b := &base{d: d}
	return &Handler{base: b,
		products: &productHandler{b},
		rooms:    &roomHandler{b},
		orders:   &orderHandler{base: b, orders: newLimiter(OrdersPerSecond, time.Second)},
		payments: &paymentHandler{base: b, pays: newLimiter(PaysPerSecond, time.Second),
			badCall: newLimiter(CallbackFailuresPerMinute, time.Minute), warns: newLogLimiter(10 * time.Second)},
		tags:   &tagHandler{b},
		images: &imageHandler{b},
	}
}

// Mount registers every commerce route on r.
func (h *Handler) Mount(r fiber.Router) {
	admin := h.d.Auth.Require(auth.Admin)
	user := h.d.Auth.Require(auth.User | auth.Admin)
	anchor := h.requireAnchor

	r.Post("/api/tokens", admin, h.mintToken)

	r.Post("/api/products", admin, h.products.createProduct)
	r.Get("/api/products", h.products.listProducts)
	r.Get("/api/products/:id", h.products.getProduct)
	r.Patch("/api/products/:id", admin, h.products.updateProduct)
	r.Delete("/api/products/:id", admin, h.products.deleteProduct)
	r.Put("/api/products/:id/stock", admin, h.products.setStock)
	r.Get("/api/products/:id/stock", h.products.getStock)
	r.Put("/api/products/:id/variants/:sku", admin, h.products.putVariant)
	r.Post("/api/images", admin, h.images.uploadImage)
	r.Get("/media/images/:name", h.images.serveImage)

	r.Put("/api/rooms/:room/products", anchor, h.rooms.bindRoom)
	r.Get("/api/rooms/:room/products", h.rooms.roomProducts)
	r.Post("/api/rooms/:room/presenting", anchor, h.rooms.present)
	r.Delete("/api/rooms/:room/presenting", anchor, h.rooms.unpresent)
	r.Get("/api/rooms/:room/presenting", h.rooms.presenting)
	r.Get("/api/rooms/:room/stats", anchor, h.rooms.stats)

	r.Post("/api/orders", user, h.orders.createOrder)
	r.Get("/api/orders", admin, h.orders.listOrders)
	r.Get("/api/me/orders", user, h.orders.myOrders)
	r.Get("/api/orders/:id", user, h.orders.getOrder)
	r.Post("/api/orders/:id/cancel", user, h.orders.cancelOrder)
	r.Post("/api/orders/:id/pay", user, h.payments.payOrder)
	r.Post("/api/orders/:id/refund", admin, h.payments.refundOrder)
	r.Post("/api/orders/:id/ship", admin, h.orders.advance(order.Shipped))
	r.Post("/api/orders/:id/complete", admin, h.orders.advance(order.Completed))

	r.Get("/api/payments/providers", h.payments.providers)
	r.Post("/api/payments/:provider/callback", h.payments.callback)

	r.Get("/api/users/:id/tags", admin, h.tags.userTags)
	r.Get("/api/segments/export.csv", admin, h.tags.exportSegment)

	// Mounted always (the API document lists them); 404 while the sandbox is off.
	r.Get("/pay/sandbox/:payment", h.payments.sandboxPage)
	r.Post("/pay/sandbox/:payment/:outcome", h.payments.sandboxSubmit)
}

// baseURL is the node's public URL for links sent to clients.
func (h *base) baseURL(c *fiber.Ctx) string {
	if h.d.PublicURL != "" {
		return h.d.PublicURL
	}
	return c.BaseURL()
}
