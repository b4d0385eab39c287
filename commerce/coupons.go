package commerce

import (
	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/marketing/coupon"
	"github.com/livesell/livesell/internal/auth"
)

// Rates of coupon claims: attempts on one coupon per second.
const (
	CouponClaimsPerUser = 5
	CouponClaimsPerAddr = 50
)

// couponHTTP is the coupon routes over the capability's guard, rooms and
// client addresses.
func couponHTTP(s *coupon.Service, g *auth.Authenticator, o Options) *coupon.HTTP {
	h := &coupon.HTTP{S: s, Auth: g, ClientAddr: o.ClientAddr}
	if h.ClientAddr == nil {
		h.ClientAddr = func(c *fiber.Ctx) string { return auth.ClientAddr(c).String() }
	}
	if o.Rooms != nil {
		h.Private = func(c *fiber.Ctx, room string) (bool, error) { return o.Rooms.Private(c.UserContext(), room) }
	}
	return h
}
