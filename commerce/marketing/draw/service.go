package draw

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/marketing/guard"
	"github.com/livesell/livesell/commerce/tags"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/sqldb"
)

// Notifier tells a room about its draws (a room notice).
type Notifier interface {
	Publish(ctx context.Context, room, kind string, data any, reliable bool, until *time.Time) error
}

// Risk is the shop's risk hook (guard.Risk).
type Risk interface {
	Ask(ctx context.Context, q guard.Question) guard.Verdict
}

// Accounts answers when an account was first seen (guard.Audit).
type Accounts interface {
	Seen(ctx context.Context, user string, t time.Time) (time.Time, error)
}

// Points credits a points prize once per ref (the wallet).
type Points interface {
	Move(ctx context.Context, user, currency string, amount int64, kind, ref string) (bool, error)
}

// Prizes gives the prizes that are not points (a product at price 0, a
// coupon) once per (draw, user), answering a reference (order or coupon id).
type Prizes interface {
	Give(ctx context.Context, d Draw, user string) (ref string, err error)
}

// Tagger reads user tags (commerce/tags).
type Tagger interface {
	Of(ctx context.Context, user string) ([]tags.Tag, error)
}

// Deps are the service's collaborators; Prizes, Tickets and Tags may be nil
// (then draws needing them are refused at the claim or the entry).
type Deps struct {
	Redis     redis.UniversalClient
	Namespace string
	SQL       *sqldb.DB
	Notices   Notifier
	Risk      Risk
	Accounts  Accounts
	Points    Points
	Prizes    Prizes
	Tickets   auth.Tickets
	Tags      Tagger
	Log       *slog.Logger
}

// Service runs draws.
type Service struct {
	d     Deps
	store *Store
	now   func() time.Time
}

// New returns the draw service.
func New(d Deps) *Service {
	return &Service{d: d, store: &Store{db: d.SQL}, now: time.Now}
}

// Store is the draws' SQL store.
func (s *Service) Store() *Store { return s.store }

func (s *Service) entriesKey(id string) string { return "{" + s.d.Namespace + ":draw:" + id + "}:e" }

// Open starts a draw: its commitment is published at once.
func (s *Service) Open(ctx context.Context, sp Spec) (Draw, error) {
	if err := sp.Check(); err != nil {
		return Draw{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	seed := random32()
	d := Draw{ID: ids.New("drw_"), Room: sp.Room, Title: sp.Title, Rule: sp.Rule, Keyword: sp.Keyword, Tag: sp.Tag, Prize: sp.Prize,
		Winners: sp.Winners, ExcludeNew: sp.ExcludeNew, Commitment: Commitment(seed), OpensAt: now, ClosesAt: now.Add(sp.Duration),
		Status: Open, claim: sp.ClaimWindow, seed: hex.EncodeToString(seed), salt: random32()}
	d.ClaimWindow = d.claim.String()
	if err := s.store.insert(ctx, d); err != nil {
		return Draw{}, err
	}
	until := d.ClosesAt
	s.notice(ctx, d.Room, "draw.opened", announce(d), true, &until)
	return d, nil
}

func (s *Service) notice(ctx context.Context, room, kind string, data any, reliable bool, until *time.Time) {
	if s.d.Notices == nil {
		return
	}
	if err := s.d.Notices.Publish(ctx, room, kind, data, reliable, until); err != nil {
		s.d.Log.Warn("draw notice", "room", room, "kind", kind, "err", err)
	}
}

// Ways of entering.
const (
	ViaDanmaku = "danmaku"
	ViaLike    = "like"
	ViaButton  = "button"
)

// Enter enters user into draw d by way of via (for a danmaku, text is its
// text). It answers the user's pseudonym and whether this was a new entry;
// entering again changes nothing.
func (s *Service) Enter(ctx context.Context, d Draw, user, via, text string) (string, bool, error) {
	now := s.now()
	if d.Status != Open || !now.Before(d.ClosesAt) {
		return "", false, ErrClosed
	}
	if user == "" || strings.HasPrefix(user, "anon-") {
		return "", false, fmt.Errorf("%w: sign in to enter", ErrNotEntered)
	}
	if err := s.admits(ctx, d, user, via, text); err != nil {
		return "", false, err
	}
	if d.ExcludeNew && s.d.Accounts != nil {
		first, err := s.d.Accounts.Seen(ctx, user, now)
		if err != nil {
			return "", false, err
		}
		if first.After(d.OpensAt) {
			return "", false, ErrNewAccount
		}
	}
	p := Pseudonym(d.salt, user)
	n, err := enterLua.Run(ctx, s.d.Redis, []string{s.entriesKey(d.ID), s.closedKey(d.ID)}, p, user, d.ClosesAt.Add(7*24*time.Hour).UnixMilli()).Int()
	if err != nil {
		return "", false, fmt.Errorf("draw: enter: %w", err)
	}
	if n < 0 {
		return "", false, ErrClosed
	}
	return p, n == 1, nil
}

// enterLua adds entrant ARGV[1] (user ARGV[2]) to the entries KEYS[1]
// unless the draw's close began (KEYS[2] exists): 1 new, 0 entered before,
// -1 closed. The close sets KEYS[2] before it reads the entries, so an
// entry is either in the published list or refused.
var enterLua = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local n = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return n
`)

func (s *Service) closedKey(id string) string { return "{" + s.d.Namespace + ":draw:" + id + "}:x" }

func (s *Service) admits(ctx context.Context, d Draw, user, via, text string) error {
	switch d.Rule {
	case RuleKeyword:
		if via == ViaDanmaku && Matches(d.Keyword, text) {
			return nil
		}
	case RuleLike:
		if via == ViaLike {
			return nil
		}
	case RuleOpen:
		return nil
	case RuleTicket:
		if s.d.Tickets == nil {
			return fmt.Errorf("%w: tickets are not sold on this node", ErrNotEntered)
		}
		_, _, ok, err := s.d.Tickets.Pass(ctx, d.Room, user)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	case RuleTag:
		if s.d.Tags == nil {
			return fmt.Errorf("%w: user tags are not available", ErrNotEntered)
		}
		ts, err := s.d.Tags.Of(ctx, user)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(ts, func(t tags.Tag) bool { return t.Tag == d.Tag }) {
			return nil
		}
	}
	return ErrNotEntered
}

// Close closes draw id (the anchor, or its time came): it reveals the
// seed, publishes the sorted entry list and the winners, and announces
// them in the room. Closing a closed draw answers it unchanged.
func (s *Service) Close(ctx context.Context, id string) (Draw, error) {
	d, err := s.store.Get(ctx, id)
	if err != nil {
		return Draw{}, err
	}
	if d.Status == Closed {
		return d, nil
	}
	if ok, err := s.store.claimClose(ctx, id); err != nil {
		return Draw{}, err
	} else if !ok && d.Status == Open {
		return s.store.Get(ctx, id) // another close won the race
	}
	// A close that crashed half-way left "closing": finishing it again
	// gives the same result (the seed and entries are fixed).
	if err := s.d.Redis.Set(ctx, s.closedKey(id), "1", 7*24*time.Hour).Err(); err != nil {
		return Draw{}, fmt.Errorf("draw: close: %w", err)
	}
	byP, err := s.d.Redis.HGetAll(ctx, s.entriesKey(id)).Result()
	if err != nil {
		return Draw{}, fmt.Errorf("draw: entries: %w", err)
	}
	entries := make([]string, 0, len(byP))
	for p := range byP {
		entries = append(entries, p)
	}
	slices.Sort(entries)
	seed, _ := hex.DecodeString(d.seed)
	order := Order(seed, entries, 0)
	var winnerIDs, vetoed []string
	var ws []winner
	for _, p := range order {
		if len(winnerIDs) == d.Winners {
			break
		}
		user := byP[p]
		if s.d.Risk != nil {
			if v := s.d.Risk.Ask(ctx, guard.Question{Action: "draw.win", UserID: user, Room: d.Room, Target: d.ID}); !v.Allow {
				vetoed = append(vetoed, p)
				continue
			}
		}
		winnerIDs = append(winnerIDs, p)
		ws = append(ws, winner{user: user, pseudonym: p})
	}
	at := s.now().UTC().Truncate(time.Millisecond)
	if err := s.store.finish(ctx, id, entries, winnerIDs, vetoed, ws, at); err != nil {
		return Draw{}, err
	}
	d, err = s.store.Get(ctx, id)
	if err != nil {
		return Draw{}, err
	}
	until := d.Result.ClaimUntil
	s.notice(ctx, d.Room, "draw.won", announce(d), true, &until)
	return d, nil
}

// Entries is the published entry list of a closed draw (sorted pseudonyms).
func (s *Service) Entries(ctx context.Context, id string) ([]string, error) {
	d, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.Status != Closed {
		return nil, ErrStillOpen
	}
	return d.Result.entries, nil
}

// Mine is what a draw says to one user.
type Mine struct {
	Pseudonym  string     `json:"pseudonym"`
	Entered    bool       `json:"entered"`
	Won        bool       `json:"won"`
	Claimed    bool       `json:"claimed"`
	PrizeRef   string     `json:"prize_ref,omitempty"`
	ClaimUntil *time.Time `json:"claim_until,omitempty"`
}

// Me says whether user entered and won draw id.
func (s *Service) Me(ctx context.Context, id, user string) (Mine, error) {
	d, err := s.store.Get(ctx, id)
	if err != nil {
		return Mine{}, err
	}
	m := Mine{Pseudonym: Pseudonym(d.salt, user)}
	if m.Entered, err = s.d.Redis.HExists(ctx, s.entriesKey(id), m.Pseudonym).Result(); err != nil {
		return Mine{}, fmt.Errorf("draw: me: %w", err)
	}
	if d.Status != Closed {
		return m, nil
	}
	claimed, ref, found, err := s.store.winnerRow(ctx, id, user)
	if err != nil {
		return Mine{}, err
	}
	m.Won, m.Claimed, m.PrizeRef = found, claimed > 0, ref
	if found {
		u := d.Result.ClaimUntil
		m.ClaimUntil = &u
	}
	return m, nil
}

// Claim gives winner user the prize of draw id once, within the claim
// window, unless the shop's risk hook vetoes the claim.
func (s *Service) Claim(ctx context.Context, id, user, addr string) (Mine, error) {
	d, err := s.store.Get(ctx, id)
	if err != nil {
		return Mine{}, err
	}
	if d.Status != Closed {
		return Mine{}, ErrStillOpen
	}
	claimed, ref, found, err := s.store.winnerRow(ctx, id, user)
	if err != nil {
		return Mine{}, err
	}
	if !found {
		return Mine{}, ErrNotWinner
	}
	if claimed > 0 {
		return s.Me(ctx, id, user)
	}
	if !s.now().Before(d.Result.ClaimUntil) {
		return Mine{}, ErrClaimOver
	}
	if s.d.Risk != nil {
		if v := s.d.Risk.Ask(ctx, guard.Question{Action: "draw.claim", UserID: user, Addr: addr, Room: d.Room, Target: d.ID}); !v.Allow {
			return Mine{}, fmt.Errorf("%w: %s", ErrVetoed, v.Reason)
		}
	}
	switch d.Prize.Kind {
	case PrizePoints:
		ref = id + ":" + user
		if _, err := s.d.Points.Move(ctx, user, "points", d.Prize.Points, "draw_prize", ref); err != nil {
			return Mine{}, err
		}
	default:
		if s.d.Prizes == nil {
			return Mine{}, fmt.Errorf("%w: %s prizes are not available on this node", ErrInvalid, d.Prize.Kind)
		}
		if ref, err = s.d.Prizes.Give(ctx, d, user); err != nil {
			return Mine{}, err
		}
	}
	if err := s.store.markClaimed(ctx, id, user, ref, s.now()); err != nil {
		return Mine{}, err
	}
	return s.Me(ctx, id, user)
}

// Tick closes every open draw whose time is up.
func (s *Service) Tick(ctx context.Context) error {
	ds, err := s.store.open(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, d := range ds {
		if !now.Before(d.ClosesAt) {
			if _, err := s.Close(ctx, d.ID); err != nil {
				s.d.Log.Warn("draw close", "draw", d.ID, "err", err)
			}
		}
	}
	return nil
}

// OpenDraws lists every open draw (for the audience consumer).
func (s *Service) OpenDraws(ctx context.Context) ([]Draw, error) { return s.store.open(ctx) }

// Count fills d.Entered: the entries so far (Redis), or the published count.
func (s *Service) Count(ctx context.Context, d *Draw) error {
	if d.Result != nil {
		d.Entered = int64(d.Result.Entries)
		return nil
	}
	n, err := s.d.Redis.HLen(ctx, s.entriesKey(d.ID)).Result()
	if err != nil {
		return fmt.Errorf("draw: count: %w", err)
	}
	d.Entered = n
	return nil
}

// noticeWinners bounds the winners a notice names (a notice body is at
// most 8 KiB); the full list is at GET /api/draws/{id}/entries.
const noticeWinners = 100

// announce is the body of a draw's room notice.
func announce(d Draw) map[string]any {
	m := map[string]any{"id": d.ID, "title": d.Title, "rule": d.Rule, "keyword": d.Keyword, "prize": d.Prize, "winners_n": d.Winners,
		"commitment": d.Commitment, "closes_at": d.ClosesAt, "status": d.Status}
	if r := d.Result; r != nil {
		w := r.WinnerIDs
		if len(w) > noticeWinners {
			w = w[:noticeWinners]
		}
		m["seed"] = d.Seed
		m["result"] = map[string]any{"entries": r.Entries, "winners": w, "vetoed": len(r.Vetoed), "claim_until": r.ClaimUntil}
	}
	return m
}
