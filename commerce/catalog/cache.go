package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Cache answers the order path's reads of products and presenting from
// memory for ttl, so that a flash sale reads SQL once per product per ttl
// instead of once per buyer. Local changes invalidate it at once; other
// nodes' changes show after ttl.
type Cache struct {
	store *Store
	ttl   time.Duration

	mu         sync.RWMutex
	products   map[string]cachedProduct
	presenting map[string]cachedPresenting
	sales      map[string]cachedSale
	variants   map[string]cachedVariants
}

type cachedSale struct {
	upcoming bool
	at       time.Time
}

type cachedProduct struct {
	p   Product
	err error
	at  time.Time
}

type cachedPresenting struct {
	pr *Presenting
	at time.Time
}

// NewCache caches store's reads for ttl.
func NewCache(store *Store, ttl time.Duration) *Cache {
	return &Cache{store: store, ttl: ttl, products: map[string]cachedProduct{}, presenting: map[string]cachedPresenting{}, sales: map[string]cachedSale{}, variants: map[string]cachedVariants{}}
}

// Product returns product id (ErrNotFound is cached too, briefly).
func (c *Cache) Product(ctx context.Context, id string) (Product, error) {
	now := time.Now()
	c.mu.RLock()
	e, ok := c.products[id]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.p, e.err
	}
	p, err := c.store.Get(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Product{}, err
	}
	c.mu.Lock()
	putBounded(&c.products, id, cachedProduct{p: p, err: err, at: now})
	c.mu.Unlock()
	return p, err
}

// Presenting returns room's presented product, or nil.
func (c *Cache) Presenting(ctx context.Context, room string) (*Presenting, error) {
	now := time.Now()
	c.mu.RLock()
	e, ok := c.presenting[room]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.pr, nil
	}
	pr, err := c.store.GetPresenting(ctx, room)
	var out *Presenting
	switch {
	case err == nil:
		out = &pr
	case errors.Is(err, ErrNotFound):
	default:
		return nil, err
	}
	c.mu.Lock()
	putBounded(&c.presenting, room, cachedPresenting{pr: out, at: now})
	c.mu.Unlock()
	return out, nil
}

// UpcomingSale reports whether a room announced a flash sale of product
// that has not started at now (cached like the other reads; only asked for
// products that hold their stock for a sale).
func (c *Cache) UpcomingSale(ctx context.Context, product string, now time.Time) (bool, error) {
	c.mu.RLock()
	e, ok := c.sales[product]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < c.ttl && now.Sub(e.at) >= 0 {
		return e.upcoming, nil
	}
	up, err := c.store.UpcomingSale(ctx, product, now)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	putBounded(&c.sales, product, cachedSale{upcoming: up, at: now})
	c.mu.Unlock()
	return up, nil
}

// Forget drops product id and room from the cache after a local change (a
// change of what a room presents also forgets every product's sale state).
func (c *Cache) Forget(productID, room string) {
	c.mu.Lock()
	if productID != "" {
		delete(c.products, productID)
		delete(c.variants, productID)
	}
	if room != "" {
		delete(c.presenting, room)
		c.sales = map[string]cachedSale{}
	}
	c.mu.Unlock()
}

// StockTotals returns every product's total stock.
func (c *Cache) StockTotals(ctx context.Context) (map[string]int64, error) {
	rows, err := c.store.db.QueryContext(ctx, `SELECT id, stock_total FROM commerce_products`)
	if err != nil {
		return nil, fmt.Errorf("catalog: totals: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("catalog: totals: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// maxCached bounds each of the cache's maps: past it the map starts afresh
// (a crude bound, but a cache, so nothing is lost but a lookup).
const maxCached = 100_000

// putBounded stores v under key in *m, first emptying a map that has grown
// past maxCached. The caller holds c.mu.
func putBounded[V any](m *map[string]V, key string, v V) {
	if len(*m) > maxCached {
		*m = map[string]V{}
	}
	(*m)[key] = v
}
