package catalog

import (
	"context"
	"time"
)

// ProductChanged republishes, at once, the card of every room presenting
// p with p's new title, image, list price, currency and limit, so that a
// card always shows the price an order is charged (#12: a list price
// changed from 89.00 to 99.00 during a live must not leave 89.00 on the
// card). The live price and sale window of each room stay as presented.
func (c *Cards) ProductChanged(ctx context.Context, p Product) error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	var out []roomCard
	for room := range c.byProd[p.ID] {
		rc := c.rooms[room]
		if rc == nil {
			continue
		}
		card := rc.card
		card.Title, card.PriceMinor, card.Currency, card.PerUserLimit = p.Title, p.PriceMinor, p.Currency, p.PerUserLimit
		card.Image = ""
		if len(p.Images) > 0 {
			card.Image = p.Images[0]
		}
		card.Version, card.At = c.nextVersion(), time.Now().UTC()
		rc.card, rc.dirty = card, false
		out = append(out, roomCard{card: card})
	}
	c.mu.Unlock()
	var first error
	for _, rc := range out {
		if err := c.publish(ctx, rc.card); err != nil && first == nil {
			first = err
		}
	}
	return first
}
