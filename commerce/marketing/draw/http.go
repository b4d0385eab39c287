package draw

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/marketing/guard"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

var errTable = []guard.Code{
	{Err: ErrInvalid, Code: apierr.CodeDrawInvalid},
	{Err: ErrNotFound, Code: apierr.CodeDrawNotFound},
	{Err: ErrClosed, Code: apierr.CodeDrawClosed},
	{Err: ErrStillOpen, Code: apierr.CodeDrawStillOpen},
	{Err: ErrNotEntered, Code: apierr.CodeDrawNotEligible},
	{Err: ErrNewAccount, Code: apierr.CodeDrawNewAccount},
	{Err: ErrNotWinner, Code: apierr.CodeDrawNotWinner},
	{Err: ErrClaimOver, Code: apierr.CodeDrawClaimOver},
	{Err: ErrVetoed, Code: apierr.CodeDrawVetoed},
	{Err: order.ErrSoldOut, Code: apierr.CodeSoldOut},
	{Err: catalog.ErrNotFound, Code: apierr.CodeProductNotFound},
}

// specBody is the body of POST /api/rooms/{room}/draws.
type specBody struct {
	Title              string `json:"title"`
	Rule               string `json:"rule"`
	Keyword            string `json:"keyword"`
	Tag                string `json:"tag"`
	Prize              Prize  `json:"prize"`
	Winners            int    `json:"winners"`
	DurationS          int    `json:"duration_s"`
	ClaimWindowS       int    `json:"claim_window_s"`
	ExcludeNewAccounts bool   `json:"exclude_new_accounts"`
}

// ParseSpec decodes and checks the body of a new draw for room.
func ParseSpec(room string, body []byte) (Spec, error) {
	var b specBody
	if err := apierr.DecodeJSON(body, &b); err != nil {
		return Spec{}, err
	}
	if b.DurationS < 0 || b.DurationS > 86400 || b.ClaimWindowS < 0 || b.ClaimWindowS > 30*86400 {
		return Spec{}, apierr.E(apierr.CodeDrawInvalid, "duration_s is 1 to 86400, claim_window_s at most 30 days")
	}
	sp := Spec{Room: room, Title: b.Title, Rule: b.Rule, Keyword: b.Keyword, Tag: b.Tag, Prize: b.Prize, Winners: b.Winners,
		Duration: time.Duration(b.DurationS) * time.Second, ClaimWindow: time.Duration(b.ClaimWindowS) * time.Second, ExcludeNew: b.ExcludeNewAccounts}
	if err := sp.Check(); err != nil {
		return Spec{}, guard.MapErr(err, errTable)
	}
	return sp, nil
}

// Handler serves the draw routes.
type Handler struct {
	S     *Service
	Auth  guard.Auth
	Guard *guard.Guard
	Rooms guard.Rooms
	// Opened is told of every draw opened (the audience consumer's cache).
	Opened func()
}

// Mount registers the routes on r.
func (h *Handler) Mount(r fiber.Router) {
	r.Post("/api/rooms/:room/draws", h.open)
	r.Get("/api/rooms/:room/draws", h.list)
	r.Get("/api/draws/:id", h.get)
	r.Get("/api/draws/:id/entries", h.entries)
	r.Post("/api/draws/:id/close", h.close)
	r.Post("/api/draws/:id/enter", h.enter)
	r.Get("/api/draws/:id/me", h.me)
	r.Post("/api/draws/:id/claim", h.claim)
}

func (h *Handler) open(c *fiber.Ctx) error {
	p, room, err := guard.Anchor(c, h.Auth, h.Rooms)
	if err != nil {
		return err
	}
	sp, err := ParseSpec(room, c.Body())
	if err != nil {
		return err
	}
	d, err := h.S.Open(c.UserContext(), sp)
	if err != nil {
		return guard.MapErr(err, errTable)
	}
	if h.Opened != nil {
		h.Opened()
	}
	h.Guard.Record(c.UserContext(), guard.Act{Action: "draw.open", UserID: p.UserID, Addr: guard.Addr(c), Room: room, Target: d.ID}, "ok", d.Commitment)
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (h *Handler) list(c *fiber.Ctx) error {
	room, err := guard.Room(c, h.Rooms)
	if err != nil {
		return err
	}
	ds, err := h.S.Store().Room(c.UserContext(), room, 50)
	if err != nil {
		return apierr.Internal(err)
	}
	if ds == nil {
		ds = []Draw{}
	}
	for i := range ds {
		if err := h.S.Count(c.UserContext(), &ds[i]); err != nil {
			return apierr.Internal(err)
		}
	}
	return c.JSON(fiber.Map{"draws": ds})
}

func (h *Handler) load(c *fiber.Ctx) (Draw, error) {
	d, err := h.S.Store().Get(c.UserContext(), c.Params("id"))
	return d, guard.MapErr(err, errTable)
}

func (h *Handler) get(c *fiber.Ctx) error {
	d, err := h.load(c)
	if err != nil {
		return err
	}
	if err := h.S.Count(c.UserContext(), &d); err != nil {
		return apierr.Internal(err)
	}
	return c.JSON(d)
}

// Published is what anyone needs to verify a closed draw.
type Published struct {
	ID         string   `json:"id"`
	Algorithm  string   `json:"algorithm"`
	Commitment string   `json:"commitment"`
	Seed       string   `json:"seed"`
	Entries    []string `json:"entries"`
	Winners    []string `json:"winners"`
	Vetoed     []string `json:"vetoed"`
}

func (h *Handler) entries(c *fiber.Ctx) error {
	d, err := h.load(c)
	if err != nil {
		return err
	}
	if d.Status != Closed {
		return guard.MapErr(ErrStillOpen, errTable)
	}
	pub := Published{ID: d.ID, Algorithm: Algorithm, Commitment: d.Commitment, Seed: d.Seed, Entries: d.Result.entries,
		Winners: d.Result.WinnerIDs, Vetoed: d.Result.Vetoed}
	for _, l := range []*[]string{&pub.Entries, &pub.Winners, &pub.Vetoed} {
		if *l == nil {
			*l = []string{}
		}
	}
	return c.JSON(pub)
}

func (h *Handler) close(c *fiber.Ctx) error {
	d, err := h.load(c)
	if err != nil {
		if _, aerr := h.Auth.Request(c, auth.Admin|auth.PushKey, ""); aerr != nil {
			return aerr
		}
		return err
	}
	p, err := h.Auth.Request(c, auth.Admin|auth.PushKey, d.Room)
	if err != nil {
		return err
	}
	d, err = h.S.Close(c.UserContext(), d.ID)
	if err != nil {
		return guard.MapErr(err, errTable)
	}
	h.Guard.Record(c.UserContext(), guard.Act{Action: "draw.close", UserID: p.UserID, Addr: guard.Addr(c), Room: d.Room, Target: d.ID}, "ok", d.Seed)
	return c.JSON(d)
}

func (h *Handler) enter(c *fiber.Ctx) error {
	p, err := guard.Viewer(c, h.Auth)
	if err != nil {
		return err
	}
	d, err := h.load(c)
	if err != nil {
		return err
	}
	act := guard.Act{Action: "draw.enter", UserID: p.UserID, Room: d.Room, Target: d.ID}
	act, err = h.Guard.Admit(c, act, guard.EnterLimits)
	if err != nil {
		return err
	}
	pseudonym, fresh, err := h.S.Enter(c.UserContext(), d, p.UserID, ViaButton, "")
	if err != nil {
		h.Guard.Record(c.UserContext(), act, "refused", err.Error())
		return guard.MapErr(err, errTable)
	}
	if fresh {
		h.Guard.Record(c.UserContext(), act, "entered", pseudonym)
	}
	m, err := h.S.Me(c.UserContext(), d.ID, p.UserID)
	if err != nil {
		return guard.MapErr(err, errTable)
	}
	return c.JSON(m)
}

func (h *Handler) me(c *fiber.Ctx) error {
	p, err := guard.Viewer(c, h.Auth)
	if err != nil {
		return err
	}
	m, err := h.S.Me(c.UserContext(), c.Params("id"), p.UserID)
	if err != nil {
		return guard.MapErr(err, errTable)
	}
	return c.JSON(m)
}

func (h *Handler) claim(c *fiber.Ctx) error {
	p, err := guard.Viewer(c, h.Auth)
	if err != nil {
		return err
	}
	id := c.Params("id")
	act := guard.Act{Action: "draw.claim", UserID: p.UserID, Target: id}
	act, err = h.Guard.Admit(c, act, guard.ClaimLimits)
	if err != nil {
		return err
	}
	m, err := h.S.Claim(c.UserContext(), id, p.UserID, act.Addr)
	if err != nil {
		h.Guard.Record(c.UserContext(), act, "refused", err.Error())
		return guard.MapErr(err, errTable)
	}
	h.Guard.Record(c.UserContext(), act, "claimed", m.PrizeRef)
	return c.JSON(m)
}
