package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/events"
)

// StockReader reads the units left of a product.
type StockReader interface {
	Avail(ctx context.Context, product string) (avail, total int64, ok bool, err error)
}

// Cards publishes each room's product card to JetStream (stream
// <NS>_CARDS, subject <ns>.room.<room>.card, last message per subject kept):
// at once when the anchor presents or hides a product, and, throttled to
// one per room per interval, when the presented product's stock changes.
type Cards struct {
	js    jetstream.JetStream
	ns    string
	store *Store
	stock StockReader
	log   *slog.Logger
	every time.Duration

	mu      sync.Mutex
	rooms   map[string]*roomCard           // room → its card
	byProd  map[string]map[string]struct{} // product → rooms presenting it
	version int64
}

type roomCard struct {
	card  events.ProductCard
	dirty bool
}

// EnsureCardsStream creates (or updates) the cards stream of ns.
func EnsureCardsStream(ctx context.Context, js jetstream.JetStream, ns string) error {
	_, err := js.CreateOrUpdateStream(ctx, events.CardsStreamConfig(ns))
	if err != nil {
		return fmt.Errorf("catalog: stream %s: %w", events.CardsStream(ns), err)
	}
	return nil
}

// NewCards ensures the stream and returns a publisher; every is the least
// time between two stock updates of one room's card (500 ms = 2/s).
func NewCards(ctx context.Context, js jetstream.JetStream, ns string, store *Store, stock StockReader, every time.Duration, log *slog.Logger) (*Cards, error) {
	if err := EnsureCardsStream(ctx, js, ns); err != nil {
		return nil, err
	}
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	c := &Cards{js: js, ns: ns, store: store, stock: stock, log: log, every: every,
		rooms: map[string]*roomCard{}, byProd: map[string]map[string]struct{}{}}
	if err := c.refresh(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cards) nextVersion() int64 {
	v := time.Now().UnixMicro()
	if v <= c.version {
		v = c.version + 1
	}
	c.version = v
	return v
}

// Card builds the card of pr for product p with avail units left.
func Card(pr Presenting, p Product, avail int64) events.ProductCard {
	card := events.ProductCard{
		Room: pr.Room, Shown: true, ProductID: p.ID, Title: p.Title, PriceMinor: p.PriceMinor,
		LivePriceMinor: pr.LivePriceMinor, Currency: p.Currency, StockLeft: avail, PerUserLimit: p.PerUserLimit,
		SaleStartsAt: pr.SaleStartsAt, SaleEndsAt: pr.SaleEndsAt,
	}
	if len(p.Images) > 0 {
		card.Image = p.Images[0]
	}
	return card
}

// Show publishes room's card for pr at once.
func (c *Cards) Show(ctx context.Context, pr Presenting, p Product) (events.ProductCard, error) {
	avail, _, _, err := c.stock.Avail(ctx, p.ID)
	if err != nil {
		return events.ProductCard{}, err
	}
	card := c.keep(ctx, pr, p, avail)
	return card, c.publish(ctx, card)
}

// keep makes room's card for pr (p with avail units left), gives it the
// next version and keeps it as the room's current card.
func (c *Cards) keep(ctx context.Context, pr Presenting, p Product, avail int64) events.ProductCard {
	card := Card(pr, p, avail)
	card.Variants = c.cardVariants(ctx, p)
	c.mu.Lock()
	c.track(pr.Room, p.ID)
	card.Version, card.At = c.nextVersion(), time.Now().UTC()
	c.rooms[pr.Room] = &roomCard{card: card}
	c.mu.Unlock()
	return card
}

// Hide publishes a hidden card for room at once.
func (c *Cards) Hide(ctx context.Context, room string) error {
	c.mu.Lock()
	c.untrack(room)
	delete(c.rooms, room)
	card := events.ProductCard{Room: room, Shown: false, Version: c.nextVersion(), At: time.Now().UTC()}
	c.mu.Unlock()
	return c.publish(ctx, card)
}

// StockChanged notes product's units left; rooms presenting it republish
// their card at the next tick. It never blocks on the network.
func (c *Cards) StockChanged(product string, avail int64) {
	c.mu.Lock()
	for room := range c.byProd[product] {
		if rc := c.rooms[room]; rc != nil && rc.card.StockLeft != avail {
			rc.card.StockLeft = avail
			rc.dirty = true
		}
	}
	c.mu.Unlock()
}

func (c *Cards) track(room, product string) {
	c.untrack(room)
	if c.byProd[product] == nil {
		c.byProd[product] = map[string]struct{}{}
	}
	c.byProd[product][room] = struct{}{}
}

func (c *Cards) untrack(room string) {
	if rc := c.rooms[room]; rc != nil {
		delete(c.byProd[rc.card.ProductID], room)
		if len(c.byProd[rc.card.ProductID]) == 0 {
			delete(c.byProd, rc.card.ProductID)
		}
	}
}

// Run republishes changed cards every interval, and reloads what rooms
// present (other nodes may change it) every 5 s, until ctx is done.
func (c *Cards) Run(ctx context.Context) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	lastRefresh := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if time.Since(lastRefresh) > 5*time.Second {
			lastRefresh = time.Now()
			if err := c.refresh(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("cards refresh", "err", err)
			}
		}
		c.flush(ctx)
	}
}

// flush publishes every dirty card once.
func (c *Cards) flush(ctx context.Context) {
	c.mu.Lock()
	var out []events.ProductCard
	for _, rc := range c.rooms {
		if rc.dirty {
			rc.dirty = false
			rc.card.Version, rc.card.At = c.nextVersion(), time.Now().UTC()
			out = append(out, rc.card)
		}
	}
	c.mu.Unlock()
	for _, card := range out {
		if c.restockVariants(ctx, &card) {
			c.mu.Lock()
			if rc := c.rooms[card.Room]; rc != nil && rc.card.Version == card.Version {
				rc.card.Variants = card.Variants
			}
			c.mu.Unlock()
		}
		if err := c.publish(ctx, card); err != nil && ctx.Err() == nil {
			c.log.Warn("card publish", "room", card.Room, "err", err)
		}
	}
}

// refresh learns which product each room presents from SQL, adopting
// changes made on other nodes.
func (c *Cards) refresh(ctx context.Context) error {
	all, err := c.store.AllPresenting(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, pr := range all {
		seen[pr.Room] = true
		c.mu.Lock()
		rc := c.rooms[pr.Room]
		same := rc != nil && rc.card.ProductID == pr.ProductID && rc.card.LivePriceMinor == pr.LivePriceMinor
		c.mu.Unlock()
		if same {
			continue
		}
		p, err := c.store.Get(ctx, pr.ProductID)
		if err != nil {
			continue
		}
		avail, _, _, _ := c.stock.Avail(ctx, p.ID)
		c.keep(ctx, pr, p, avail)
	}
	c.mu.Lock()
	for room := range c.rooms {
		if !seen[room] {
			c.untrack(room)
			delete(c.rooms, room)
		}
	}
	c.mu.Unlock()
	return nil
}

// Current returns room's last card known to this node.
func (c *Cards) Current(room string) (events.ProductCard, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rc := c.rooms[room]
	if rc == nil {
		return events.ProductCard{}, false
	}
	return rc.card, true
}

func (c *Cards) publish(ctx context.Context, card events.ProductCard) error {
	body, err := json.Marshal(card)
	if err != nil {
		return fmt.Errorf("catalog: card: %w", err)
	}
	if _, err := c.js.Publish(ctx, events.CardSubject(c.ns, card.Room), body); err != nil {
		return fmt.Errorf("catalog: publish card: %w", err)
	}
	return nil
}
