package api

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

func identity(c *fiber.Ctx) (auth.Identity, error) {
	id, ok := auth.IdentityOf(c)
	if !ok {
		return id, apierr.New(apierr.CodeMissingToken)
	}
	return id, nil
}

func (h *orderHandler) createOrder(c *fiber.Ctx) error {
	who, err := identity(c)
	if err != nil {
		return err
	}
	if who.Admin {
		return apierr.New(apierr.CodeBuyerOnly)
	}
	if !h.orders.allow(who.UserID, time.Now()) {
		return apierr.E(apierr.CodeRateLimited, "at most %d order attempts per second", OrdersPerSecond)
	}
	if err := checkJSON(c); err != nil {
		return err
	}
	req, cart, err := ParseOrder(c.Body())
	if err != nil {
		return err
	}
	if cart != nil {
		req.Room = cart.Room
	}
	key := c.Get("Idempotency-Key")
	if len(key) > 128 {
		return apierr.E(apierr.CodeInvalidRequest, "Idempotency-Key must be at most 128 bytes")
	}
	if req.Room != "" {
		// A room's live price is for its viewers: a private room's only
		// for tokens that name it.
		private, err := h.d.Rooms.Private(c.UserContext(), req.Room)
		if err != nil {
			return mapErr(err)
		}
		if !who.Admits(req.Room, private) {
			return apierr.E(apierr.CodeRoomForbidden, "the token does not admit room %s", req.Room)
		}
	}
	if !auth.IsLoopback(c) { // tools on the host are not capped per address
		req.Addr = h.d.ClientAddr(c)
	}
	var o order.Order
	var created bool
	if cart != nil {
		cart.Addr = req.Addr
		o, created, err = h.d.Orders.CreateCart(c.UserContext(), who.UserID, key, *cart)
	} else {
		o, created, err = h.d.Orders.Create(c.UserContext(), who.UserID, key, req)
	}
	if err != nil {
		return mapOrderErr(err)
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
		c.Location("/api/orders/" + o.ID)
	}
	return c.Status(status).JSON(o)
}

func (h *orderHandler) listOrders(c *fiber.Ctx) error {
	f := order.Filter{Room: c.Query("room"), Status: order.Status(c.Query("status")), User: c.Query("user"), Cursor: c.Query("cursor")}
	if f.Status != "" && !order.ValidStatus(f.Status) {
		return apierr.E(apierr.CodeInvalidRequest, "status must be one of PENDING, PAID, SHIPPED, COMPLETED, CANCELLED, EXPIRED, REFUNDED")
	}
	if f.Room != "" && !validRoom(f.Room) {
		return apierr.New(apierr.CodeInvalidRoomID)
	}
	if len(f.User) > 128 || len(f.Cursor) > 300 {
		return apierr.E(apierr.CodeInvalidRequest, "a filter is too long")
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return apierr.E(apierr.CodeInvalidRequest, "limit must be between 1 and 500")
		}
		f.Limit = n
	}
	orders, next, err := h.d.Orders.Store().List(c.UserContext(), f)
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(fiber.Map{"orders": orders, "next_cursor": next})
}

// ownOrder loads order :id if the caller may see it (its buyer, or admin).
func (h *base) ownOrder(c *fiber.Ctx) (order.Order, auth.Identity, error) {
	who, err := identity(c)
	if err != nil {
		return order.Order{}, who, err
	}
	id, err := param(c, "id")
	if err != nil {
		return order.Order{}, who, err
	}
	o, err := h.d.Orders.Get(c.UserContext(), id)
	if err != nil {
		return order.Order{}, who, mapErr(err)
	}
	if !who.Admin && o.UserID != who.UserID {
		return order.Order{}, who, apierr.E(apierr.CodeOrderNotFound, "no order %s", id)
	}
	return o, who, nil
}

func (h *orderHandler) getOrder(c *fiber.Ctx) error {
	o, _, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (h *orderHandler) cancelOrder(c *fiber.Ctx) error {
	o, who, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	o, err = h.d.Orders.Cancel(c.UserContext(), o.ID, who.UserID, who.Admin)
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(o)
}

func (h *paymentHandler) payOrder(c *fiber.Ctx) error {
	o, who, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	if !h.pays.allow(who.UserID, time.Now()) {
		return apierr.E(apierr.CodeRateLimited, "at most %d payment starts per second", PaysPerSecond)
	}
	if err := checkJSON(c); err != nil {
		return err
	}
	pb, err := ParsePay(c.Body())
	if err != nil {
		return err
	}
	co, err := h.d.Orders.Payments.Pay(c.UserContext(), o.ID, who.UserID, who.Admin, pb.Provider, h.baseURL(c))
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(co)
}

func (h *paymentHandler) refundOrder(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	o, err := h.d.Orders.Payments.RefundOnce(c.UserContext(), id, "admin refund")
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(o)
}

func (h *orderHandler) advance(to order.Status) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := param(c, "id")
		if err != nil {
			return err
		}
		o, err := h.d.Orders.Advance(c.UserContext(), id, to)
		if err != nil {
			return mapErr(err)
		}
		return c.JSON(o)
	}
}
