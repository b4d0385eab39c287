package api

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/apierr"
)

func (h *Handler) mintToken(c *fiber.Ctx) error {
	if err := checkJSON(c); err != nil {
		return err
	}
	tb, err := ParseToken(c.Body())
	if err != nil {
		return err
	}
	tok, exp, err := h.d.Users.Mint(tb.UserID, tb.Name, h.d.TokenTTL)
	if err != nil {
		return mapErr(err)
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"token": tok, "expires_at": exp.UTC()})
}

// productView is a product with the units left for sale.
type productView struct {
	catalog.Product
	StockLeft int64 `json:"stock_left"`
	// Variants are the product's SKUs with their own stock left (absent:
	// one implicit SKU, the product).
	Variants []variantView `json:"variants,omitempty"`
}

func (h *base) view(c *fiber.Ctx, p catalog.Product) (productView, error) {
	avail, _, ok, err := h.d.Stock.Avail(c.UserContext(), p.ID)
	if err != nil {
		return productView{}, mapErr(err)
	}
	if !ok {
		if err := h.d.Orders.LoadStock(c.UserContext(), p.ID, p.StockTotal); err != nil {
			return productView{}, mapErr(err)
		}
		avail, _, _, _ = h.d.Stock.Avail(c.UserContext(), p.ID)
	}
	vs, err := h.variantViews(c, p)
	if err != nil {
		return productView{}, err
	}
	return productView{Product: p, StockLeft: avail, Variants: vs}, nil
}

// views is view for each product, in order.
func (h *base) views(c *fiber.Ctx, ps []catalog.Product) ([]productView, error) {
	out := make([]productView, 0, len(ps))
	for _, p := range ps {
		v, err := h.view(c, p)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// sendView answers with p and its stock left.
func (h *base) sendView(c *fiber.Ctx, p catalog.Product) error {
	v, err := h.view(c, p)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *productHandler) createProduct(c *fiber.Ctx) error {
	if err := checkJSON(c); err != nil {
		return err
	}
	pb, err := ParseProduct(c.Body(), true)
	if err != nil {
		return err
	}
	var p catalog.Product
	pb.Apply(&p)
	if pb.Stock != nil {
		p.StockTotal = *pb.Stock
	}
	p, err = h.d.Catalog.Create(c.UserContext(), p)
	if err != nil {
		return mapErr(err)
	}
	if err := h.d.Orders.LoadStock(c.UserContext(), p.ID, p.StockTotal); err != nil {
		return mapErr(err)
	}
	v, err := h.view(c, p)
	if err != nil {
		return err
	}
	c.Location("/api/products/" + p.ID)
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (h *productHandler) listProducts(c *fiber.Ctx) error {
	limit := 50
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return apierr.E(apierr.CodeInvalidRequest, "limit must be between 1 and 200")
		}
		limit = n
	}
	after := c.Query("after")
	if len(after) > 64 {
		return apierr.E(apierr.CodeInvalidRequest, "after is not a product id")
	}
	ps, err := h.d.Catalog.List(c.UserContext(), after, limit)
	if err != nil {
		return mapErr(err)
	}
	out, err := h.views(c, ps)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"products": out})
}

func (h *productHandler) getProduct(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	p, err := h.d.Catalog.Get(c.UserContext(), id)
	if err != nil {
		return mapErr(err)
	}
	return h.sendView(c, p)
}

func (h *productHandler) updateProduct(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	if err := checkJSON(c); err != nil {
		return err
	}
	pb, err := ParseProduct(c.Body(), false)
	if err != nil {
		return err
	}
	p, err := h.d.Catalog.Update(c.UserContext(), id, func(p *catalog.Product) error { pb.Apply(p); return nil })
	if err != nil {
		return mapErr(err)
	}
	h.d.Cache.Forget(id, "")
	// Rooms presenting it show the new price at once (the card is what is charged).
	if err := h.d.Cards.ProductChanged(c.UserContext(), p); err != nil {
		h.d.Log.Warn("card republish after a product change", "product", id, "err", err)
	}
	return h.sendView(c, p)
}

func (h *productHandler) setStock(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	if err := checkJSON(c); err != nil {
		return err
	}
	total, err := ParseStock(c.Body())
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p, err := h.d.Catalog.Get(ctx, id)
	if err != nil {
		return mapErr(err)
	}
	if vs, err := h.d.Catalog.Variants(ctx, id); err != nil {
		return mapErr(err)
	} else if len(vs) > 0 {
		return errStockOfVariants()
	}
	res, err := h.d.Stock.Admin.SetTotal(ctx, id, total)
	if errors.Is(err, stock.ErrNotLoaded) {
		if err := h.d.Orders.LoadStock(ctx, id, p.StockTotal); err != nil {
			return mapErr(err)
		}
		res, err = h.d.Stock.Admin.SetTotal(ctx, id, total)
	}
	if err != nil {
		return mapErr(err)
	}
	if p, err = h.d.Catalog.Update(ctx, id, func(p *catalog.Product) error { p.StockTotal = total; return nil }); err != nil {
		return mapErr(err)
	}
	h.d.Cache.Forget(id, "")
	if h.d.Cards != nil {
		h.d.Cards.StockChanged(id, res.Avail)
	}
	return c.JSON(productView{Product: p, StockLeft: res.Avail})
}

func (h *productHandler) getStock(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	p, err := h.d.Cache.Product(c.UserContext(), id)
	if err != nil {
		return mapErr(err)
	}
	v, err := h.view(c, p)
	if err != nil {
		return err
	}
	out := fiber.Map{"product_id": id, "stock_left": v.StockLeft, "stock_total": p.StockTotal}
	// Nothing left: say whether unpaid checkouts hold units that may come
	// back ("try again soon") or the product is sold out.
	if v.StockLeft <= 0 && h.d.Stock != nil {
		if n, err := h.d.Stock.Pending(c.UserContext(), id); err == nil {
			out["unpaid_orders"] = n
		}
	}
	return c.JSON(out)
}
