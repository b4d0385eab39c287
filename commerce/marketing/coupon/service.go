package coupon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/marketing/risk"
	"github.com/livesell/livesell/commerce/tags"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/sqldb"
)

// Notices publishes room notices (commerce/marketing/notice.Publisher).
type Notices interface {
	Publish(ctx context.Context, n events.Notice) (events.Notice, error)
}

// Tags reads a user's tags (commerce/tags.Store).
type Tags interface {
	Of(ctx context.Context, user string) ([]tags.Tag, error)
}

// Options configure a Service.
type Options struct {
	DB      *sqldb.DB
	Redis   redis.UniversalClient
	NS      string
	Notices Notices
	// Tickets tells ticket holders (nil: auth.NoTickets, no room is ticketed).
	Tickets auth.Tickets
	// Tags tells tagged users (nil: a tag audience admits nobody).
	Tags  Tags
	Rates Rates
	// Risk is the shop's veto on claims (nil: none).
	Risk risk.Hook
	// InFlight bounds the claim scripts one node runs at once (default
	// 32): in a rush the rest wait here for their turn, not in the Redis
	// client's pool, whose wait is bounded.
	InFlight int
	Log      *slog.Logger
	Now      func() time.Time
}

// Service runs coupons: templates, pushes, claims, use and return.
type Service struct {
	o      Options
	store  store
	claims redisClaims
	log    *slog.Logger
	// cache keeps templates read (they do not change once created).
	cache sync.Map // id → *cached
	batch batcher
	slots chan struct{}
}

// New migrates the coupon schema and returns the service.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tickets == nil {
		o.Tickets = auth.NoTickets{}
	}
	if err := Migrate(ctx, o.DB); err != nil {
		return nil, err
	}
	if o.InFlight <= 0 {
		o.InFlight = 32
	}
	return &Service{o: o, store: store{db: o.DB}, claims: redisClaims{rdb: o.Redis, ns: o.NS}, log: o.Log.With("component", "coupon"),
		slots: make(chan struct{}, o.InFlight)}, nil
}

func errNotClaimed(id string) error {
	return apierr.E(apierr.CodeCouponNotClaimed, "coupon %s is not yours to use", id)
}

// Create stores a new template for room.
func (s *Service) Create(ctx context.Context, t Template, actor, addr string) (Template, error) {
	if err := t.Validate(); err != nil {
		return t, err
	}
	t.ID = ids.New("cp_")
	t.CreatedAt = s.o.Now().UTC().Truncate(time.Millisecond)
	if err := s.store.insertTemplate(ctx, t); err != nil {
		return t, err
	}
	if err := s.store.addAudit(ctx, s.o.DB, audit{template: t.ID, actor: actor, action: "create", addr: addr, at: t.CreatedAt}); err != nil {
		s.log.Warn("audit not written", "coupon", t.ID, "err", err)
	}
	return t, nil
}

// Template returns template id. Templates do not change once created:
// each is read from SQL once, however many claims ask for it at once.
func (s *Service) Template(ctx context.Context, id string) (Template, error) {
	v, _ := s.cache.LoadOrStore(id, &cached{})
	e := v.(*cached)
	e.once.Do(func() { e.t, e.err = s.store.template(context.WithoutCancel(ctx), id) })
	if e.err != nil {
		s.cache.CompareAndDelete(id, e) // not cached: a later read tries again
	}
	return e.t, e.err
}

// cached is one template of the cache.
type cached struct {
	once sync.Once
	t    Template
	err  error
}

// Room lists room's templates with how many are left.
func (s *Service) Room(ctx context.Context, room string) ([]Template, error) {
	return s.store.templates(ctx, "room = $1", room)
}

// Left is how many of template t may still be claimed.
func (s *Service) Left(ctx context.Context, t *Template) (int64, error) {
	n, err := s.claims.left(ctx, t.ID)
	if err != nil || n >= 0 {
		return n, err
	}
	cs, err := s.store.claims(ctx, "template_id = $1", t.ID)
	return t.Total - int64(len(cs)), err
}

// PushData is the body of a coupon.pushed notice.
type PushData struct {
	CouponID      string    `json:"coupon_id"`
	Title         string    `json:"title"`
	Kind          Kind      `json:"kind"`
	AmountMinor   int64     `json:"amount_minor,omitempty"`
	Percent       int       `json:"percent,omitempty"`
	CapMinor      int64     `json:"cap_minor,omitempty"`
	MinSpendMinor int64     `json:"min_spend_minor,omitempty"`
	Currency      string    `json:"currency"`
	Products      []string  `json:"products,omitempty"`
	Audience      Audience  `json:"audience"`
	Total         int64     `json:"total"`
	Left          int64     `json:"left"`
	Until         time.Time `json:"until"`
	EndsAt        time.Time `json:"ends_at"`
}

// NoticePushed is the kind of the notice of a pushed coupon.
const NoticePushed = "coupon.pushed"

// MaxPushWindow bounds a push's countdown.
const MaxPushWindow = time.Hour

// Push shows coupon id to its room now, claimable for window (0: until
// the coupon ends, at most MaxPushWindow): a reliable notice with a
// countdown, shown to viewers who join before it ends.
func (s *Service) Push(ctx context.Context, id string, window time.Duration, actor, addr string) (events.Notice, error) {
	t, err := s.store.template(ctx, id)
	if err != nil {
		return events.Notice{}, err
	}
	now := s.o.Now().UTC()
	if !now.Before(t.EndsAt) {
		return events.Notice{}, apierr.E(apierr.CodeCouponExpired, "%s ended at %s", t.Title, t.EndsAt.Format(time.RFC3339))
	}
	if window <= 0 || window > MaxPushWindow {
		window = MaxPushWindow
	}
	until := now.Add(window)
	if t.EndsAt.Before(until) {
		until = t.EndsAt
	}
	if err := s.ensureLoaded(ctx, &t); err != nil {
		return events.Notice{}, err
	}
	left, err := s.Left(ctx, &t)
	if err != nil {
		return events.Notice{}, err
	}
	data := PushData{CouponID: t.ID, Title: t.Title, Kind: t.Kind, AmountMinor: t.AmountMinor, Percent: t.Percent, CapMinor: t.CapMinor,
		MinSpendMinor: t.MinSpendMinor, Currency: t.Currency, Products: t.Products, Audience: t.Audience, Total: t.Total, Left: left, Until: until, EndsAt: t.EndsAt}
	n, err := s.o.Notices.Publish(ctx, events.Notice{Room: t.Room, Kind: NoticePushed, Data: mustJSON(data), Reliable: true, Until: &until, At: now})
	if err != nil {
		return n, err
	}
	if _, err := s.o.DB.ExecContext(ctx, `UPDATE coupon_templates SET pushed_at = $1 WHERE id = $2`, now.UnixMilli(), t.ID); err != nil {
		s.log.Warn("push time not stored", "coupon", t.ID, "err", err)
	}
	if err := s.store.addAudit(ctx, s.o.DB, audit{template: t.ID, actor: actor, action: "push", addr: addr, detail: until.Format(time.RFC3339), at: now}); err != nil {
		s.log.Warn("audit not written", "coupon", t.ID, "err", err)
	}
	s.log.Info("coupon pushed", "coupon", t.ID, "room", t.Room, "until", until)
	return n, nil
}

// ensureLoaded builds the template's Redis keys from SQL if absent.
func (s *Service) ensureLoaded(ctx context.Context, t *Template) error {
	n, err := s.claims.left(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("coupon: %w", err)
	}
	if n >= 0 {
		return nil
	}
	cs, err := s.store.claims(ctx, "template_id = $1", t.ID)
	if err != nil {
		return err
	}
	m := make(map[string]string, len(cs))
	for _, c := range cs {
		m[c.ID] = c.UserID
	}
	return s.claims.load(ctx, t, m, s.o.Now())
}

// ClaimRequest is a viewer's tap on a pushed coupon.
type ClaimRequest struct {
	CouponID string
	User     auth.Identity
	// Key makes a retried tap name the same claim ("" = the user's first).
	Key  string
	Addr string
}

// Claim gives the user one coupon: atomic in Redis (quantity, per-user
// limit, idempotent per key, rate limits), then written to SQL with its
// outbox event and audit row. created is false for a retried tap.
func (s *Service) Claim(ctx context.Context, r ClaimRequest) (c Claim, created bool, err error) {
	if r.User.UserID == "" || r.User.Anonymous || r.User.Admin {
		return c, false, apierr.E(apierr.CodeLoginRequired, "sign in to claim a coupon")
	}
	if r.Key == "" {
		r.Key = "1"
	}
	t, err := s.Template(ctx, r.CouponID)
	if err != nil {
		return c, false, err
	}
	now := s.o.Now()
	switch {
	case now.Before(t.StartsAt):
		return c, false, apierr.E(apierr.CodeCouponNotStarted, "%s may be claimed from %s", t.Title, t.StartsAt.Format(time.RFC3339))
	case !now.Before(t.EndsAt):
		return c, false, apierr.E(apierr.CodeCouponExpired, "%s ended at %s", t.Title, t.EndsAt.Format(time.RFC3339))
	}
	if err := s.admit(ctx, &t, r.User); err != nil {
		return c, false, err
	}
	if err := s.vet(ctx, &t, r, now); err != nil {
		return c, false, err
	}
	id := claimID(t.ID, r.User.UserID, r.Key)
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return c, false, ctx.Err()
	}
	code, _, err := s.claims.claim(ctx, &t, r.User.UserID, id, r.Addr, s.o.Rates, now)
	if err == nil && code == claimNotLoaded {
		if err = s.ensureLoaded(ctx, &t); err == nil {
			code, _, err = s.claims.claim(ctx, &t, r.User.UserID, id, r.Addr, s.o.Rates, now)
		}
	}
	<-s.slots
	if err != nil {
		return c, false, apierr.Wrap(apierr.CodeStoreUnavailable, err)
	}
	switch code {
	case claimGone:
		return c, false, apierr.New(apierr.CodeCouponGone)
	case claimUserLimit:
		return c, false, apierr.E(apierr.CodeCouponUserLimit, "at most %d of %s per person", t.PerUser, t.Title)
	case claimRate:
		return c, false, apierr.E(apierr.CodeRateLimited, "too many claims; try again in a moment")
	case claimDone, claimAlready:
	default:
		return c, false, fmt.Errorf("coupon: claim answered %d", code)
	}
	c = Claim{ID: id, TemplateID: t.ID, UserID: r.User.UserID, Status: StatusClaimed, ClaimedAt: now.UTC().Truncate(time.Millisecond), Template: &t}
	// A retried tap (claimAlready) writes the row a crashed first attempt may not have.
	if err := s.batch.write(ctx, s.store, newClaim{c: c, room: t.Room, source: "claim", addr: r.Addr}); err != nil {
		return c, false, err
	}
	// Created is Redis's answer: of two racing taps with one claim id,
	// either may write the row, only one made the claim.
	return c, code == claimDone, nil
}

// vet asks the shop's risk hook, if any; a veto is audited with its reason.
func (s *Service) vet(ctx context.Context, t *Template, r ClaimRequest, now time.Time) error {
	if s.o.Risk == nil {
		return nil
	}
	v, err := s.o.Risk.Decide(ctx, risk.Check{Action: "coupon.claim", Room: t.Room, UserID: r.User.UserID, Addr: r.Addr, Subject: t.ID, At: now.UTC()})
	if err != nil {
		s.log.Warn("risk hook", "coupon", t.ID, "user", r.User.UserID, "allowed", v.Allow, "err", err)
	}
	if v.Allow {
		return nil
	}
	if err := s.store.addAudit(ctx, s.o.DB, audit{template: t.ID, actor: r.User.UserID, action: "claim_vetoed", addr: r.Addr, detail: v.Reason, at: now}); err != nil {
		s.log.Warn("audit not written", "coupon", t.ID, "err", err)
	}
	return apierr.New(apierr.CodeCouponVetoed)
}

// admit checks the template's audience for user.
func (s *Service) admit(ctx context.Context, t *Template, who auth.Identity) error {
	switch t.Audience {
	case TicketHolders:
		ticketed, _, ok, err := s.o.Tickets.Pass(ctx, t.Room, who.UserID)
		if err != nil {
			return apierr.Wrap(apierr.CodeStoreUnavailable, err)
		}
		if ticketed && !ok {
			return apierr.E(apierr.CodeCouponAudience, "%s is for ticket holders of this show", t.Title)
		}
	case Tagged:
		if s.o.Tags == nil {
			return apierr.E(apierr.CodeCouponAudience, "%s is for a customer group", t.Title)
		}
		ts, err := s.o.Tags.Of(ctx, who.UserID)
		if err != nil {
			return apierr.Wrap(apierr.CodeStoreUnavailable, err)
		}
		if !slices.ContainsFunc(ts, func(x tags.Tag) bool { return x.Tag == t.Tag }) {
			return apierr.E(apierr.CodeCouponAudience, "%s is for a customer group", t.Title)
		}
	}
	return nil
}

// Mine lists user's claims with their templates ("" status: every state).
func (s *Service) Mine(ctx context.Context, user, status string) ([]Claim, error) {
	var cs []Claim
	var err error
	if status == "" {
		cs, err = s.store.claims(ctx, "user_id = $1", user)
	} else {
		cs, err = s.store.claims(ctx, "user_id = $1 AND status = $2", user, status)
	}
	if err != nil {
		return nil, err
	}
	cache := map[string]*Template{}
	for i := range cs {
		t, ok := cache[cs[i].TemplateID]
		if !ok {
			tt, err := s.Template(ctx, cs[i].TemplateID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			t = &tt
			cache[cs[i].TemplateID] = t
		}
		cs[i].Template = t
		if cs[i].AmountMinor > 0 && t.Kind == AmountOff {
			own := *t // this claim's own amount
			own.AmountMinor = cs[i].AmountMinor
			cs[i].Template = &own
		}
	}
	return cs, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
