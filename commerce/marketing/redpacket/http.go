package redpacket

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/marketing/guard"
	"github.com/livesell/livesell/internal/apierr"
)

var errTable = []guard.Code{
	{Err: ErrInvalid, Code: apierr.CodeRedPacketInvalid},
	{Err: ErrNotFound, Code: apierr.CodeRedPacketNotFound},
	{Err: ErrEmpty, Code: apierr.CodeRedPacketEmpty},
	{Err: ErrClosed, Code: apierr.CodeRedPacketClosed},
	{Err: ErrNotOpen, Code: apierr.CodeRedPacketNotOpen},
}

// launchBody is the body of POST /api/rooms/{room}/redpackets.
type launchBody struct {
	TotalMinor int64  `json:"total_minor"`
	Packets    int    `json:"packets"`
	MinMinor   int64  `json:"min_minor"`
	Mode       string `json:"mode"`
	Currency   string `json:"currency"`
	DurationS  int    `json:"duration_s"`
	OpensInS   int    `json:"opens_in_s"`
	// Credit is "wallet" (default) or "coupon": each grab a claimed coupon
	// of amount_off template CouponID worth the grabbed amount.
	Credit   string `json:"credit"`
	CouponID string `json:"coupon_id"`
	// Rain, when set, releases Count packets of this shape, one every EveryS.
	Rain *struct {
		Count  int `json:"count"`
		EveryS int `json:"every_s"`
	} `json:"rain"`
}

// ParseLaunch decodes and checks the body of a launch in room by issuer.
func ParseLaunch(room, issuer string, body []byte, now time.Time) (Rain, error) {
	var b launchBody
	if err := apierr.DecodeJSON(body, &b); err != nil {
		return Rain{}, err
	}
	if b.DurationS < 0 || b.DurationS > 86400 || b.OpensInS < 0 || b.OpensInS > 86400 {
		return Rain{}, apierr.E(apierr.CodeRedPacketInvalid, "duration_s and opens_in_s are 0 to 86400")
	}
	r := Rain{Count: 1, Spec: Spec{Room: room, Issuer: issuer, Currency: b.Currency, TotalMinor: b.TotalMinor, Packets: b.Packets,
		MinMinor: b.MinMinor, Mode: b.Mode, Duration: time.Duration(b.DurationS) * time.Second, Credit: b.Credit, CouponID: b.CouponID}}
	if b.OpensInS > 0 {
		r.Spec.OpensAt = now.Add(time.Duration(b.OpensInS) * time.Second)
	}
	if b.Rain != nil {
		if b.Rain.Count < 1 || b.Rain.Count > 100 || b.Rain.EveryS < 0 || b.Rain.EveryS > 3600 {
			return Rain{}, apierr.E(apierr.CodeRedPacketInvalid, "a rain has 1 to 100 packets, every_s 0 to 3600")
		}
		r.Count, r.Every = b.Rain.Count, time.Duration(b.Rain.EveryS)*time.Second
	}
	if err := r.Spec.Check(); err != nil {
		return Rain{}, guard.MapErr(err, errTable)
	}
	return r, nil
}

// Handler serves the red-packet routes.
type Handler struct {
	S     *Service
	Auth  guard.Auth
	Guard *guard.Guard
	Rooms guard.Rooms
	// Kick runs the tick at once (announce a packet open now).
	Kick func()
}

// Mount registers the routes on r.
func (h *Handler) Mount(r fiber.Router) {
	r.Post("/api/rooms/:room/redpackets", h.launch)
	r.Get("/api/rooms/:room/redpackets", h.list)
	r.Post("/api/redpackets/:id/grab", h.grab)
}

func (h *Handler) launch(c *fiber.Ctx) error {
	p, room, err := guard.Anchor(c, h.Auth, h.Rooms)
	if err != nil {
		return err
	}
	// The issuer is the room's shop account: the remainder returns there.
	r, err := ParseLaunch(room, "room:"+room, c.Body(), time.Now())
	if err != nil {
		return err
	}
	var out []Packet
	rain := ""
	if r.Count == 1 {
		pk, err := h.S.Launch(c.UserContext(), ids.New("rp_"), r.Spec, "")
		if err != nil {
			return guard.MapErr(err, errTable)
		}
		out = []Packet{pk}
	} else if rain, out, err = h.S.LaunchRain(c.UserContext(), r); err != nil {
		return guard.MapErr(err, errTable)
	}
	for _, pk := range out {
		h.Guard.Record(c.UserContext(), guard.Act{Action: "redpacket.launch", UserID: p.UserID, Addr: guard.Addr(c), Room: room, Target: pk.ID}, "ok", "")
	}
	if h.Kick != nil {
		h.Kick()
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"rain_id": rain, "packets": out})
}

func (h *Handler) list(c *fiber.Ctx) error {
	room, err := guard.Room(c, h.Rooms)
	if err != nil {
		return err
	}
	ps, err := h.S.Store().Room(c.UserContext(), room, 50)
	if err != nil {
		return apierr.Internal(err)
	}
	if ps == nil {
		ps = []Packet{}
	}
	return c.JSON(fiber.Map{"packets": ps})
}

func (h *Handler) grab(c *fiber.Ctx) error {
	p, err := guard.Viewer(c, h.Auth)
	if err != nil {
		return err
	}
	id := c.Params("id")
	act := guard.Act{Action: "redpacket.grab", UserID: p.UserID, Target: id}
	act, err = h.Guard.Admit(c, act, guard.GrabLimits)
	if err != nil {
		return err
	}
	g, err := h.S.Grab(c.UserContext(), id, p.UserID)
	if err != nil {
		h.Guard.Record(c.UserContext(), act, "refused", err.Error())
		return guard.MapErr(err, errTable)
	}
	if !g.Again {
		h.Guard.Record(c.UserContext(), act, "grabbed", "")
	}
	return c.JSON(g)
}
