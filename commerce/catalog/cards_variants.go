package catalog

import (
	"context"

	"github.com/livesell/livesell/internal/events"
)

// VariantStockReader reads the units left of each variant of a product
// (the stock store; optional for Cards).
type VariantStockReader interface {
	VariantAvail(ctx context.Context, product string) (map[string]int64, error)
}

// cardVariants lists p's variants for its card, with their units left
// (nil for a product without variants, or when they cannot be read now:
// the card still shows the product's total).
func (c *Cards) cardVariants(ctx context.Context, p Product) []events.CardVariant {
	vs, err := c.store.Variants(ctx, p.ID)
	if err != nil || len(vs) == 0 {
		return nil
	}
	left := map[string]int64{}
	if vr, ok := c.stock.(VariantStockReader); ok {
		if m, err := vr.VariantAvail(ctx, p.ID); err == nil {
			left = m
		}
	}
	out := make([]events.CardVariant, len(vs))
	for i, v := range vs {
		out[i] = events.CardVariant{SKU: v.SKU, Title: v.Title, Options: v.Options, PriceMinor: v.Price(p), StockLeft: left[v.SKU]}
	}
	return out
}

// restockVariants updates the units left of card's variants before a
// republish (a stock change of one variant changes the product's total,
// which is what marks the card dirty); it reports whether it did.
func (c *Cards) restockVariants(ctx context.Context, card *events.ProductCard) bool {
	if len(card.Variants) == 0 {
		return false
	}
	vr, ok := c.stock.(VariantStockReader)
	if !ok {
		return false
	}
	m, err := vr.VariantAvail(ctx, card.ProductID)
	if err != nil {
		return false
	}
	vs := make([]events.CardVariant, len(card.Variants))
	copy(vs, card.Variants)
	for i := range vs {
		vs[i].StockLeft = m[vs[i].SKU]
	}
	card.Variants = vs
	return true
}
