package api

import (
	"github.com/gofiber/fiber/v2"
)

// deleteProduct serves DELETE /api/products/{id}: 204 when the product is
// gone, 409 state_conflict while a room presents it or an order names it.
func (h *productHandler) deleteProduct(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := h.d.Catalog.Delete(ctx, id); err != nil {
		return mapErr(err)
	}
	h.d.Cache.Forget(id, "")
	if err := h.d.Stock.Admin.Forget(ctx, id); err != nil {
		// The row is gone; a stale stock key only costs memory.
		h.d.Log.Warn("stock keys of a deleted product", "product", id, "err", err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
