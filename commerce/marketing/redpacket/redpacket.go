// Package redpacket runs red packets (红包): a total split into N packets
// (equal, or "lucky" with a minimum per packet) by one Lua script in Redis,
// grabbed atomically there (no packet twice, no user twice, the grabs sum
// to the total exactly), each grab credited once to the grabber's wallet
// (commerce/marketing/wallet); when a packet ends, what nobody grabbed is
// returned to its issuer. A rain is many packets released over a window.
package redpacket

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/commerce/marketing/wallet"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var files embed.FS

// Migrate applies the red-packet migrations (component "marketing-redpacket").
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, files, "marketing-redpacket", "redpacket schema")
}

// Split modes.
const (
	Lucky = "lucky"
	Equal = "equal"
)

// Packet states.
const (
	Scheduled = "scheduled"
	Open      = "open"
	Closed    = "closed"
)

// MaxTotal bounds a packet's total (minor units), so the split's
// arithmetic stays exact; MaxPackets bounds its count.
const (
	MaxTotal   = 1_000_000_000
	MaxPackets = 10_000
)

// Sentinel errors.
var (
	ErrInvalid  = errors.New("redpacket: invalid")
	ErrNotFound = errors.New("redpacket: not found")
	ErrEmpty    = errors.New("redpacket: every packet is taken")
	ErrClosed   = errors.New("redpacket: ended")
	ErrNotOpen  = errors.New("redpacket: not open yet")
)

// Packet is one red packet.
type Packet struct {
	ID            string    `json:"id"`
	Room          string    `json:"room"`
	Issuer        string    `json:"issuer"`
	RainID        string    `json:"rain_id,omitempty"`
	Currency      string    `json:"currency"`
	TotalMinor    int64     `json:"total_minor"`
	Packets       int       `json:"packets"`
	MinMinor      int64     `json:"min_minor"`
	Mode          string    `json:"mode"`
	OpensAt       time.Time `json:"opens_at"`
	EndsAt        time.Time `json:"ends_at"`
	Status        string    `json:"status"`
	Grabbed       int       `json:"grabbed"`
	PaidMinor     int64     `json:"paid_minor"`
	ReturnedMinor int64     `json:"returned_minor"`
	// Credit is CreditWallet or CreditCoupon (each grab a claimed coupon
	// of template CouponID worth the grabbed amount).
	Credit   string `json:"credit"`
	CouponID string `json:"coupon_id,omitempty"`

	seed int64
}

// Spec is what the anchor asks for.
type Spec struct {
	Room       string
	Issuer     string
	Currency   string
	TotalMinor int64
	Packets    int
	MinMinor   int64
	Mode       string
	OpensAt    time.Time
	Duration   time.Duration
	// Credit is CreditWallet (default) or CreditCoupon with CouponID, an
	// amount_off template in Currency (checked at launch).
	Credit   string
	CouponID string
}

// Check validates s, filling defaults (mode lucky, min 1).
func (s *Spec) Check() error {
	if s.Mode == "" {
		s.Mode = Lucky
	}
	if s.MinMinor == 0 {
		s.MinMinor = 1
	}
	if s.Credit == "" {
		s.Credit = CreditWallet
	}
	switch {
	case s.Credit != CreditWallet && s.Credit != CreditCoupon:
		return fmt.Errorf("%w: credit must be wallet or coupon", ErrInvalid)
	case (s.Credit == CreditCoupon) != (s.CouponID != ""):
		return fmt.Errorf("%w: coupon_id is required with credit coupon, and only with it", ErrInvalid)
	case s.Mode != Lucky && s.Mode != Equal:
		return fmt.Errorf("%w: mode must be lucky or equal", ErrInvalid)
	case s.Packets < 1 || s.Packets > MaxPackets:
		return fmt.Errorf("%w: packets must be between 1 and %d", ErrInvalid, MaxPackets)
	case s.TotalMinor < 1 || s.TotalMinor > MaxTotal:
		return fmt.Errorf("%w: total_minor must be between 1 and %d", ErrInvalid, MaxTotal)
	case s.MinMinor < 1 || s.MinMinor*int64(s.Packets) > s.TotalMinor:
		return fmt.Errorf("%w: min_minor × packets must not exceed total_minor", ErrInvalid)
	case s.Duration < time.Second || s.Duration > 24*time.Hour:
		return fmt.Errorf("%w: duration must be between 1s and 24h", ErrInvalid)
	case s.Currency == "":
		return fmt.Errorf("%w: currency is required", ErrInvalid)
	}
	return nil
}

// Grab is one viewer's grab.
type Grab struct {
	PacketID    string `json:"packet_id"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	// ClaimID is the coupon issued for the grab (credit coupon).
	ClaimID string `json:"claim_id,omitempty"`
	// Again is true when the viewer had grabbed this packet before.
	Again bool `json:"again,omitempty"`
	Left  int  `json:"left"`
}

// Wallet is where grabs are credited and remainders returned.
type Wallet interface {
	Move(ctx context.Context, user, currency string, amount int64, kind, ref string) (bool, error)
}

// Service runs red packets.
type Service struct {
	rdb    redis.UniversalClient
	ns     string
	store  *Store
	wallet Wallet
	// coupons issues the grabs of packets in coupon mode (nil: refused at launch).
	coupons Coupons
	log     *slog.Logger
	now     func() time.Time
	// metas caches each packet's currency and credit (id → meta).
	metas sync.Map
}

// New returns the red-packet service.
func New(rdb redis.UniversalClient, ns string, db *sqldb.DB, w Wallet, log *slog.Logger) *Service {
	return &Service{rdb: rdb, ns: ns, store: &Store{db: db}, wallet: w, log: log, now: time.Now}
}

// Store is the packets' SQL store.
func (s *Service) Store() *Store { return s.store }

func (s *Service) keys(id string) []string {
	tag := "{" + s.ns + ":rp:" + id + "}"
	return []string{tag + ":m", tag + ":q", tag + ":g"}
}

func randomSeed() int64 {
	var b [8]byte
	rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) >> 33) // < 2^31
}

// Launch creates a packet (split in Redis at once, grabbable from OpensAt).
func (s *Service) Launch(ctx context.Context, id string, sp Spec, rain string) (Packet, error) {
	if err := sp.Check(); err != nil {
		return Packet{}, err
	}
	if err := s.checkCredit(ctx, sp); err != nil {
		return Packet{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	if sp.OpensAt.IsZero() || sp.OpensAt.Before(now) {
		sp.OpensAt = now
	}
	p := Packet{ID: id, Room: sp.Room, Issuer: sp.Issuer, RainID: rain, Currency: sp.Currency, TotalMinor: sp.TotalMinor, Packets: sp.Packets,
		MinMinor: sp.MinMinor, Mode: sp.Mode, Credit: sp.Credit, CouponID: sp.CouponID, OpensAt: sp.OpensAt.UTC().Truncate(time.Millisecond), Status: Scheduled, seed: randomSeed()}
	p.EndsAt = p.OpensAt.Add(sp.Duration)
	if err := s.store.insert(ctx, p, now); err != nil {
		return Packet{}, err
	}
	if err := s.split(ctx, p); err != nil {
		return Packet{}, err
	}
	return p, nil
}

func (s *Service) split(ctx context.Context, p Packet) error {
	ttl := time.Until(p.EndsAt) + 24*time.Hour
	err := splitLua.Run(ctx, s.rdb, s.keys(p.ID), p.TotalMinor, p.Packets, p.MinMinor, p.Mode, p.seed,
		p.OpensAt.UnixMilli(), p.EndsAt.UnixMilli(), ttl.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("redpacket: split: %w", err)
	}
	return nil
}

// Grab gives user one packet of id and credits it to the user's wallet
// (or issues it as a coupon: credit coupon).
func (s *Service) Grab(ctx context.Context, id, user string) (Grab, error) {
	vals, err := grabLua.Run(ctx, s.rdb, s.keys(id), user, s.now().UnixMilli()).Int64Slice()
	if err != nil {
		return Grab{}, fmt.Errorf("redpacket: grab: %w", err)
	}
	switch vals[0] {
	case 1, 2:
	case 0:
		return Grab{}, ErrEmpty
	case -1:
		return Grab{}, ErrClosed
	case -3:
		return Grab{}, ErrNotOpen
	default:
		return Grab{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	m, err := s.meta(ctx, id)
	if err != nil {
		return Grab{}, err
	}
	g := Grab{PacketID: id, AmountMinor: vals[1], Currency: m.currency, Again: vals[0] == 2, Left: int(vals[2])}
	// Credited once per (packet, user); a failure here is repaired when
	// the packet closes (settle credits every grab again, idempotently).
	claim, err := s.credit(ctx, m, id, user, g.AmountMinor)
	if err != nil {
		s.log.Warn("red packet grab not credited yet; settled at close", "packet", id, "user", user, "err", err)
	}
	g.ClaimID = claim
	return g, nil
}

func grabRef(id, user string) string { return id + ":" + user }

// meta is packet id's currency and credit, read from SQL once per node
// (they never change; a rush reads them from memory).
func (s *Service) meta(ctx context.Context, id string) (meta, error) {
	if m, ok := s.metas.Load(id); ok {
		return m.(meta), nil
	}
	p, err := s.store.Get(ctx, id)
	if err != nil {
		return meta{}, err
	}
	m := metaOf(p)
	s.metas.Store(id, m)
	return m, nil
}

// Close ends packet id now or at its end: it stops grabs, credits every
// grab (idempotently) and returns the remainder to the issuer, once.
func (s *Service) Close(ctx context.Context, id string) (Packet, error) {
	p, err := s.store.Get(ctx, id)
	if err != nil {
		return Packet{}, err
	}
	vals, err := closeLua.Run(ctx, s.rdb, s.keys(id), nil...).Int64Slice()
	if err != nil {
		return Packet{}, fmt.Errorf("redpacket: close: %w", err)
	}
	if vals[0] < 0 {
		if p.Status == Closed {
			return p, nil
		}
		// Redis lost the packet (restart without persistence): what was
		// credited stands; the rest goes back.
		paid, err := s.paid(ctx, p)
		if err != nil {
			return Packet{}, err
		}
		vals = []int64{p.TotalMinor - paid, -1}
	}
	grabs, err := s.rdb.HGetAll(ctx, s.keys(id)[2]).Result()
	if err != nil {
		return Packet{}, fmt.Errorf("redpacket: settle: %w", err)
	}
	for user, v := range grabs {
		var amt int64
		fmt.Sscan(v, &amt)
		if _, err := s.credit(ctx, metaOf(p), id, user, amt); err != nil {
			return Packet{}, fmt.Errorf("redpacket: settle %s: %w", user, err)
		}
	}
	if vals[0] > 0 {
		if _, err := s.wallet.Move(ctx, p.Issuer, p.Currency, vals[0], wallet.KindRedPacketRefund, id); err != nil {
			return Packet{}, fmt.Errorf("redpacket: return remainder: %w", err)
		}
	}
	paid := p.TotalMinor - vals[0]
	if err := s.store.settle(ctx, id, len(grabs), paid, vals[0]); err != nil {
		return Packet{}, err
	}
	return s.store.Get(ctx, id)
}

// paid is what the ledger (or the coupons issued) credited for packet p.
func (s *Service) paid(ctx context.Context, p Packet) (int64, error) {
	if p.Credit == CreditCoupon {
		return s.issued(ctx, p.ID)
	}
	type summer interface {
		Sum(ctx context.Context, kind, refPrefix, currency string) (int64, error)
	}
	if w, ok := s.wallet.(summer); ok {
		return w.Sum(ctx, wallet.KindRedPacket, p.ID+":", p.Currency)
	}
	return 0, nil
}

// GrabScript runs only the grab script for user on packet id (no SQL),
// answering the amount grabbed: for benchmarks and tools measuring the
// Redis step alone.
func GrabScript(ctx context.Context, rdb redis.UniversalClient, ns, id, user string) (int64, error) {
	s := &Service{ns: ns}
	vals, err := grabLua.Run(ctx, rdb, s.keys(id), user, time.Now().UnixMilli()).Int64Slice()
	if err != nil {
		return 0, fmt.Errorf("redpacket: grab: %w", err)
	}
	if vals[0] != 1 && vals[0] != 2 {
		return 0, fmt.Errorf("redpacket: grab answered %d", vals[0])
	}
	return vals[1], nil
}
