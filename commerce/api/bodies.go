package api

import (
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/roomid"
)

// MaxBodyBytes bounds every JSON request body of the commerce API (the
// one JSON decoder's bound).
const MaxBodyBytes = apierr.MaxJSONBody

// decodeStrict reads exactly one JSON object into v, refusing unknown
// fields (apierr.DecodeJSON, the one decoder).
func decodeStrict(body []byte, v any) error { return apierr.DecodeJSON(body, v) }

// checkJSON refuses bodies that are declared as something other than JSON.
func checkJSON(c *fiber.Ctx) error {
	if ct := c.Get(fiber.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !strings.EqualFold(mt, fiber.MIMEApplicationJSON) {
			return apierr.E(apierr.CodeUnsupportedMediaType, "send %s", fiber.MIMEApplicationJSON)
		}
	}
	return nil
}

// ParseOrderRequest reads the body of POST /api/orders.
func ParseOrderRequest(b []byte) (order.Request, error) {
	var r order.Request
	if err := decodeStrict(b, &r); err != nil {
		return r, err
	}
	if r.Quantity == 0 {
		r.Quantity = 1
	}
	if !ids.Valid(r.ProductID) {
		return r, apierr.E(apierr.CodeInvalidRequest, "product_id is required")
	}
	if r.Room != "" && !validRoom(r.Room) {
		return r, apierr.E(apierr.CodeInvalidRoomID, "room is not a room id")
	}
	if r.Quantity < 1 || r.Quantity > 100 {
		return r, apierr.E(apierr.CodeInvalidRequest, "quantity must be between 1 and 100")
	}
	if len(r.Coupons) > 4 {
		return r, apierr.E(apierr.CodeCouponTooMany, "at most 4 coupons per order")
	}
	for _, c := range r.Coupons {
		if !ids.Valid(c) {
			return r, apierr.E(apierr.CodeInvalidRequest, "coupons are claim ids")
		}
	}
	return r, nil
}

// ProductBody is the body of POST /api/products and PATCH /api/products/{id}.
type ProductBody struct {
	Title        *string   `json:"title"`
	Images       *[]string `json:"images"`
	PriceMinor   *int64    `json:"price_minor"`
	Currency     *string   `json:"currency"`
	PerUserLimit *int      `json:"per_user_limit"`
	Stock        *int64    `json:"stock"`
	// The live-price floor and the sale hold (admin only, like every
	// product field).
	MinLivePriceMinor  *int64 `json:"min_live_price_minor"`
	MaxDiscountPercent *int   `json:"max_discount_percent"`
	HoldForSale        *bool  `json:"hold_for_sale"`
}

// Apply copies the fields present in b onto p.
func (b ProductBody) Apply(p *catalog.Product) {
	if b.Title != nil {
		p.Title = *b.Title
	}
	if b.Images != nil {
		p.Images = *b.Images
	}
	if b.PriceMinor != nil {
		p.PriceMinor = *b.PriceMinor
	}
	if b.Currency != nil {
		p.Currency = *b.Currency
	}
	if b.PerUserLimit != nil {
		p.PerUserLimit = *b.PerUserLimit
	}
	if b.MinLivePriceMinor != nil {
		p.MinLivePriceMinor = *b.MinLivePriceMinor
	}
	if b.MaxDiscountPercent != nil {
		p.MaxDiscountPercent = *b.MaxDiscountPercent
	}
	if b.HoldForSale != nil {
		p.HoldForSale = *b.HoldForSale
	}
}

// ParseProduct reads a product body; create requires title, price and currency.
func ParseProduct(b []byte, create bool) (ProductBody, error) {
	var pb ProductBody
	if err := decodeStrict(b, &pb); err != nil {
		return pb, err
	}
	if create && (pb.Title == nil || pb.PriceMinor == nil || pb.Currency == nil) {
		return pb, apierr.E(apierr.CodeInvalidProduct, "title, price_minor and currency are required")
	}
	if !create && pb.Stock != nil {
		return pb, apierr.E(apierr.CodeInvalidProduct, "change stock with PUT /api/products/{id}/stock")
	}
	return pb, nil
}

// PresentBody is the body of POST /api/rooms/{room}/presenting.
type PresentBody struct {
	ProductID      string     `json:"product_id"`
	LivePriceMinor int64      `json:"live_price_minor"`
	SaleStartsAt   *time.Time `json:"sale_starts_at"`
	SaleEndsAt     *time.Time `json:"sale_ends_at"`
}

// ParsePresent reads and checks a presenting body.
func ParsePresent(b []byte) (PresentBody, error) {
	var pb PresentBody
	if err := decodeStrict(b, &pb); err != nil {
		return pb, err
	}
	switch {
	case !ids.Valid(pb.ProductID):
		return pb, apierr.E(apierr.CodeInvalidRequest, "product_id is required")
	case pb.LivePriceMinor < 0 || pb.LivePriceMinor > catalog.MaxPriceMinor:
		return pb, apierr.E(apierr.CodeInvalidRequest, "live_price_minor must be between 0 (none) and %d", int64(catalog.MaxPriceMinor))
	case pb.SaleStartsAt != nil && pb.SaleEndsAt != nil && !pb.SaleEndsAt.After(*pb.SaleStartsAt):
		return pb, apierr.E(apierr.CodeInvalidRequest, "sale_ends_at must be after sale_starts_at")
	}
	return pb, nil
}

// BindBody is the body of PUT /api/rooms/{room}/products.
type BindBody struct {
	ProductIDs []string `json:"product_ids"`
}

// ParseBind reads and checks a binding body.
func ParseBind(b []byte) (BindBody, error) {
	var bb BindBody
	if err := decodeStrict(b, &bb); err != nil {
		return bb, err
	}
	if bb.ProductIDs == nil {
		return bb, apierr.E(apierr.CodeInvalidRequest, "product_ids is required (an empty list unbinds all)")
	}
	if len(bb.ProductIDs) > catalog.MaxRoomProducts {
		return bb, apierr.E(apierr.CodeInvalidRequest, "at most %d products", catalog.MaxRoomProducts)
	}
	for _, id := range bb.ProductIDs {
		if !ids.Valid(id) {
			return bb, apierr.E(apierr.CodeInvalidRequest, "product_ids must be product ids")
		}
	}
	return bb, nil
}

// TokenBody is the body of POST /api/tokens.
type TokenBody struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
}

// ParseToken reads and checks a token request.
func ParseToken(b []byte) (TokenBody, error) {
	var tb TokenBody
	if err := decodeStrict(b, &tb); err != nil {
		return tb, err
	}
	if tb.UserID == "" || len(tb.UserID) > 128 || !utf8.ValidString(tb.UserID) || strings.TrimSpace(tb.UserID) != tb.UserID {
		return tb, apierr.E(apierr.CodeInvalidRequest, "user_id must be 1 to 128 bytes without surrounding spaces")
	}
	if utf8.RuneCountInString(tb.Name) > 64 || !utf8.ValidString(tb.Name) {
		return tb, apierr.E(apierr.CodeInvalidRequest, "name must be at most 64 characters")
	}
	return tb, nil
}

// PayBody is the body of POST /api/orders/{id}/pay.
type PayBody struct {
	Provider string `json:"provider"`
}

// ParsePay reads a pay body.
func ParsePay(b []byte) (PayBody, error) {
	var pb PayBody
	if err := decodeStrict(b, &pb); err != nil {
		return pb, err
	}
	if pb.Provider == "" {
		return pb, apierr.E(apierr.CodeInvalidRequest, "provider is required")
	}
	return pb, nil
}

// StockBody is the body of PUT /api/products/{id}/stock.
type StockBody struct {
	Stock *int64 `json:"stock"`
}

// ParseStock reads a stock body.
func ParseStock(b []byte) (int64, error) {
	var sb StockBody
	if err := decodeStrict(b, &sb); err != nil {
		return 0, err
	}
	if sb.Stock == nil || *sb.Stock < 0 || *sb.Stock > catalog.MaxStock {
		return 0, apierr.E(apierr.CodeInvalidRequest, "stock must be between 0 and %d", catalog.MaxStock)
	}
	return *sb.Stock, nil
}

// param is the path parameter name, an id of catalogue, order or payment.
func param(c *fiber.Ctx, name string) (string, error) {
	v := c.Params(name)
	if !ids.Valid(v) {
		return "", apierr.E(apierr.CodeInvalidRequest, "%s is not a valid id", name)
	}
	return v, nil
}

// roomParam is the room id in the path.
func roomParam(c *fiber.Ctx) (string, error) {
	v := c.Params("room")
	if !validRoom(v) {
		return "", apierr.New(apierr.CodeInvalidRoomID)
	}
	return v, nil
}

// validRoom is the one room-id rule (internal/roomid).
func validRoom(s string) bool { return roomid.Valid(s) }
