package api

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/apierr"
)

// OrderBody is the body of POST /api/orders: one product (product_id,
// sku?, quantity?) or a cart (lines), with an optional room.
type OrderBody struct {
	ProductID string           `json:"product_id"`
	SKU       string           `json:"sku"`
	Quantity  int              `json:"quantity"`
	Room      string           `json:"room"`
	Lines     []order.CartLine `json:"lines"`
	// Coupons (claim ids) or BestCoupons apply the buyer's coupons (one product only).
	Coupons     []string `json:"coupons"`
	BestCoupons bool     `json:"best_coupons"`
}

// ParseOrder reads POST /api/orders: a cart when lines is present (then
// product_id, sku and quantity must be absent), else one product as
// ParseOrderRequest.
func ParseOrder(b []byte) (order.Request, *order.CartRequest, error) {
	var ob OrderBody
	if err := decodeStrict(b, &ob); err != nil {
		return order.Request{}, nil, err
	}
	if ob.Lines == nil {
		r, err := ParseOrderRequest(b)
		if err == nil && r.SKU != "" && !ids.Valid(r.SKU) {
			err = apierr.E(apierr.CodeInvalidRequest, "sku is letters, digits, - _ ., at most 64")
		}
		return r, nil, err
	}
	if len(ob.Coupons) > 4 {
		return order.Request{}, nil, apierr.E(apierr.CodeCouponTooMany, "at most 4 coupons per order")
	}
	for _, c := range ob.Coupons {
		if !ids.Valid(c) {
			return order.Request{}, nil, apierr.E(apierr.CodeInvalidRequest, "coupons are claim ids")
		}
	}
	if ob.ProductID != "" || ob.SKU != "" || ob.Quantity != 0 {
		return order.Request{}, nil, apierr.E(apierr.CodeInvalidRequest, "send either lines (a cart) or product_id, not both")
	}
	if ob.Room != "" && !validRoom(ob.Room) {
		return order.Request{}, nil, apierr.E(apierr.CodeInvalidRoomID, "room is not a room id")
	}
	if len(ob.Lines) == 0 || len(ob.Lines) > order.MaxCartLines {
		return order.Request{}, nil, apierr.E(apierr.CodeInvalidRequest, "a cart has 1 to %d lines", order.MaxCartLines)
	}
	return order.Request{}, &order.CartRequest{Lines: ob.Lines, Room: ob.Room, Coupons: ob.Coupons, BestCoupons: ob.BestCoupons}, nil
}

// mapOrderErr is mapErr for orders: a cart line's refusal keeps its code
// (sold_out, limit_reached, …) and says which line and why.
func mapOrderErr(err error) error {
	var le *order.LineError
	if !errors.As(err, &le) {
		return mapErr(err)
	}
	mapped := mapErr(le.Err)
	var ae *apierr.Error
	if !errors.As(mapped, &ae) || ae.Status >= 500 {
		return mapped
	}
	return apierr.E(ae.Code, "%s", le.Error()).WithCause(err)
}

// VariantBody is the body of PUT /api/products/{id}/variants/{sku}.
type VariantBody struct {
	Title      string            `json:"title"`
	Options    map[string]string `json:"options"`
	PriceMinor int64             `json:"price_minor"`
	Stock      int64             `json:"stock"`
	Position   int               `json:"position"`
}

// variantView is a variant with its units left for sale.
type variantView struct {
	catalog.Variant
	StockLeft int64 `json:"stock_left"`
}

func (h *productHandler) putVariant(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	sku, err := param(c, "sku")
	if err != nil {
		return err
	}
	if err := checkJSON(c); err != nil {
		return err
	}
	var vb VariantBody
	if err := decodeStrict(c.Body(), &vb); err != nil {
		return err
	}
	ctx := c.UserContext()
	p, err := h.d.Catalog.Get(ctx, id)
	if err != nil {
		return mapErr(err)
	}
	if _, err := h.view(c, p); err != nil { // loads the Redis stock if needed
		return err
	}
	v := catalog.Variant{SKU: sku, Title: vb.Title, Options: vb.Options, PriceMinor: vb.PriceMinor, StockTotal: vb.Stock, Position: vb.Position}
	var left int64
	p, v, err = h.d.Catalog.PutVariant(ctx, id, v, func(prev int64, first bool) error {
		res, err := h.d.Stock.Admin.SetVariantTotal(ctx, id, sku, vb.Stock)
		left = res.Avail
		return err
	})
	if err != nil {
		return mapErr(err)
	}
	h.d.Cache.Forget(id, "")
	if h.d.Cards != nil {
		if avail, _, ok, err := h.d.Stock.Avail(ctx, id); err == nil && ok {
			h.d.Cards.StockChanged(id, avail)
		}
	}
	return c.JSON(variantView{Variant: v, StockLeft: left})
}

// variantViews lists p's variants with their units left (nil: none).
func (h *base) variantViews(c *fiber.Ctx, p catalog.Product) ([]variantView, error) {
	vs, err := h.d.Catalog.Variants(c.UserContext(), p.ID)
	if err != nil || len(vs) == 0 {
		return nil, mapErr(err)
	}
	left, err := h.d.Stock.VariantAvail(c.UserContext(), p.ID)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]variantView, len(vs))
	for i, v := range vs {
		if v.PriceMinor == 0 {
			v.PriceMinor = p.PriceMinor
		}
		out[i] = variantView{Variant: v, StockLeft: left[v.SKU]}
	}
	return out, nil
}

// errStockOfVariants refuses a product-level stock change of a product
// with variants (each variant has its own).
func errStockOfVariants() error {
	return apierr.E(apierr.CodeInvalidProduct, "this product has variants: set each variant's stock with PUT /api/products/{id}/variants/{sku}")
}
