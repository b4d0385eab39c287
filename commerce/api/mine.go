package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/apierr"
)

// myOrders is GET /api/me/orders: the caller's own orders, newest first,
// optionally of one room and one status. The viewer room uses it to offer
// a buyer their unpaid order again ("pay now" or "cancel it").
func (h *orderHandler) myOrders(c *fiber.Ctx) error {
	who, err := identity(c)
	if err != nil {
		return err
	}
	if who.Admin || who.UserID == "" {
		return apierr.E(apierr.CodeInvalidRequest, "GET /api/me/orders lists a buyer's own orders: use a user token")
	}
	f := order.Filter{User: who.UserID, Room: c.Query("room"), Status: order.Status(c.Query("status")), Limit: 20}
	if f.Status != "" && !order.ValidStatus(f.Status) {
		return apierr.E(apierr.CodeInvalidRequest, "status must be one of PENDING, PAID, SHIPPED, COMPLETED, CANCELLED, EXPIRED, REFUNDED")
	}
	if len(f.Room) > 64 {
		return apierr.E(apierr.CodeInvalidRequest, "room is at most 64 characters")
	}
	orders, _, err := h.d.Orders.Store().List(c.UserContext(), f)
	if err != nil {
		return mapErr(err)
	}
	if orders == nil {
		orders = []order.Order{}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"orders": orders})
}
