package review

import (
	"sort"
	"time"

	"github.com/livesell/livesell/internal/events"
)

// orderBook indexes a show's order events by order.
type orderBook struct {
	created  []events.OrderEvent
	paid     map[string]events.OrderEvent // order id → its paid event
	refunded map[string]events.OrderEvent
}

func book(in *input) orderBook {
	b := orderBook{paid: map[string]events.OrderEvent{}, refunded: map[string]events.OrderEvent{}}
	for _, ev := range in.orders {
		switch ev.Type {
		case events.OrderCreated:
			b.created = append(b.created, ev)
		case events.OrderPaid:
			b.paid[ev.OrderID] = ev
		case events.OrderRefunded:
			b.refunded[ev.OrderID] = ev
		}
	}
	return b
}

// sales sums the created orders that keep says to, with how many of them
// were paid and for how much.
func (b orderBook) sales(keep func(events.OrderEvent) bool) (s Sales, paid int, paidGMV int64) {
	for _, ev := range b.created {
		if !keep(ev) {
			continue
		}
		s.Orders++
		s.Units += ev.Quantity
		s.GMV += ev.AmountMinor
		if p, ok := b.paid[ev.OrderID]; ok {
			paid++
			paidGMV += p.AmountMinor
		}
	}
	return s, paid, paidGMV
}

func inSpan(from, to time.Time) func(time.Time) bool {
	return func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
}

// computeMoney fills r.Money from the orders created during the live
// (paid or refunded at any time until the next show).
func computeMoney(in *input, r *Report, minutes int, minute func(time.Time) int) {
	b := book(in)
	live := func(ev events.OrderEvent) bool { return !ev.At.After(in.end) }
	m := &r.Money
	m.Sales, m.PaidOrders, m.PaidGMV = b.sales(live)
	if m.PaidOrders > 0 {
		m.AOV = m.PaidGMV / int64(m.PaidOrders)
	}
	m.GMVByMinute, m.PaidByMinute = make([]int64, minutes), make([]int64, minutes)
	byProduct := map[string]*ProductMoney{}
	prod := func(id string) *ProductMoney {
		p := byProduct[id]
		if p == nil {
			p = &ProductMoney{ProductID: id}
			byProduct[id] = p
		}
		return p
	}
	for _, ev := range b.created {
		if !live(ev) {
			continue
		}
		if r.Currency == "" {
			r.Currency = ev.Currency
		}
		m.GMVByMinute[minute(ev.At)] += ev.AmountMinor
		p := prod(ev.ProductID)
		p.Orders++
		p.Units += ev.Quantity
		p.GMV += ev.AmountMinor
		if paid, ok := b.paid[ev.OrderID]; ok {
			p.PaidOrders++
			p.PaidGMV += paid.AmountMinor
			if !paid.At.After(in.end) {
				m.PaidByMinute[minute(paid.At)] += paid.AmountMinor
			}
		}
		if ref, ok := b.refunded[ev.OrderID]; ok {
			m.Refunds++
			m.RefundedMinor += ref.AmountMinor
			p.Refunds++
			p.RefundedMinor += ref.AmountMinor
		}
	}
	for _, p := range byProduct {
		m.ByProduct = append(m.ByProduct, *p)
	}
	sort.Slice(m.ByProduct, func(i, j int) bool { return m.ByProduct[i].ProductID < m.ByProduct[j].ProductID })
	m.ByProduct = nonNil(m.ByProduct)
}

// window is what chapter c's product did while it was explained (and in
// the after minutes that followed).
func window(in *input, c Chapter, presence map[string][]interval, after time.Duration) Window {
	w := Window{Chapter: c}
	for _, ivs := range presence {
		for _, iv := range ivs {
			if iv.from.Before(c.End) && iv.to.After(c.Start) {
				w.Impressions++
				break
			}
		}
	}
	during := inSpan(c.Start, c.End)
	for _, ev := range in.live {
		if ev.ProductID != c.ProductID || !during(ev.At) {
			continue
		}
		switch ev.Kind {
		case events.AudienceClick:
			w.Clicks++
		case events.AudienceCart:
			w.Carts++
		}
	}
	b := book(in)
	w.Sales, w.PaidOrders, w.PaidGMV = b.sales(func(ev events.OrderEvent) bool { return ev.ProductID == c.ProductID && during(ev.At) })
	if w.Impressions > 0 {
		w.Conversion = float64(w.Orders) / float64(w.Impressions)
	}
	next := inSpan(c.End, c.End.Add(after))
	w.After, _, _ = b.sales(func(ev events.OrderEvent) bool { return ev.ProductID == c.ProductID && next(ev.At) })
	return w
}

// computeReplay fills r.Replay: the replay's views and chapter plays, and
// the orders of the room created after the end (until the next show).
func computeReplay(in *input, r *Report) {
	x := &r.Replay
	x.PlaysByProd = map[string]int{}
	viewers := map[string]bool{}
	for _, ev := range in.replay {
		switch ev.Kind {
		case events.AudienceJoined:
			x.Views++
			viewers[viewerKey(ev.UserID, ev.Viewer)] = true
		case events.AudienceChapter:
			x.ChapterPlays++
			x.PlaysByProd[ev.ProductID]++
		}
	}
	x.UniqueViewers = len(viewers)
	if !in.show.Ended() {
		return
	}
	x.Sales, x.PaidOrders, x.PaidGMV = book(in).sales(func(ev events.OrderEvent) bool { return ev.At.After(in.end) })
}
