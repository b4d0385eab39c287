package review

import (
	"slices"
	"sort"
	"time"

	"github.com/livesell/livesell/internal/events"
)

// Report is the after-show review of one show: live while the show runs
// (Final false, computed up to now), final once it ended. Times are UTC;
// durations and money are integers (milliseconds, minor units).
type Report struct {
	Show        Show        `json:"show"`
	Final       bool        `json:"final"`
	DurationMS  int64       `json:"duration_ms"`
	Currency    string      `json:"currency,omitempty"`
	Audience    Audience    `json:"audience"`
	Interaction Interaction `json:"interaction"`
	Chapters    []Chapter   `json:"chapters"`
	Products    []Window    `json:"products"`
	Money       Money       `json:"money"`
	Replay      Replay      `json:"replay"`
	// AfterMinutes is N of Window.After: sales in the N minutes after an
	// explanation.
	AfterMinutes int `json:"after_minutes"`
}

// Point is one step of the online curve: from At, Online viewers.
type Point struct {
	At     time.Time `json:"at"`
	Online int       `json:"online"`
}

// Audience is who watched and for how long.
type Audience struct {
	Curve            []Point   `json:"curve"`
	Peak             int       `json:"peak"`
	PeakAt           time.Time `json:"peak_at,omitzero"`
	UniqueViewers    int       `json:"unique_viewers"`
	AvgWatchMS       int64     `json:"avg_watch_ms"`
	MedianWatchMS    int64     `json:"median_watch_ms"`
	WatchBuckets     []Bucket  `json:"watch_buckets"`
	NewViewers       int       `json:"new_viewers"`
	ReturningViewers int       `json:"returning_viewers"`
	Sources          []Source  `json:"sources"`
}

// Bucket counts viewers whose watch time is in [FromMS, ToMS) (ToMS 0: no bound).
type Bucket struct {
	FromMS  int64 `json:"from_ms"`
	ToMS    int64 `json:"to_ms,omitempty"`
	Viewers int   `json:"viewers"`
}

// watchBounds are the watch-time buckets: <1, 1–5, 5–15, 15–30, ≥30 minutes.
var watchBounds = []int64{0, 60_000, 300_000, 900_000, 1_800_000}

// Source counts the viewers who first came from Referrer ("direct": none).
type Source struct {
	Referrer string `json:"referrer"`
	Viewers  int    `json:"viewers"`
}

// Interaction is what the audience did, per minute of the show.
type Interaction struct {
	Danmaku         int     `json:"danmaku"`
	Likes           int     `json:"likes"`
	Gifts           int     `json:"gifts"`
	DanmakuByMinute []int   `json:"danmaku_by_minute"`
	LikesByMinute   []int   `json:"likes_by_minute"`
	GiftsByMinute   []int   `json:"gifts_by_minute"`
	Interacted      int     `json:"interacted"`
	Rate            float64 `json:"rate"`
}

// Chapter is one product's explanation: its card shown from Start to End.
type Chapter struct {
	ProductID      string    `json:"product_id"`
	Title          string    `json:"title"`
	Image          string    `json:"image,omitempty"`
	PriceMinor     int64     `json:"price_minor"`
	LivePriceMinor int64     `json:"live_price_minor,omitempty"`
	Currency       string    `json:"currency,omitempty"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	// OffsetMS is Start from the show's start (the recording's position).
	OffsetMS   int64 `json:"offset_ms"`
	DurationMS int64 `json:"duration_ms"`
}

// Sales counts orders: how many, units, GMV (ordered amount).
type Sales struct {
	Orders int   `json:"orders"`
	Units  int   `json:"units"`
	GMV    int64 `json:"gmv_minor"`
}

// Window is one product's explanation window and what it sold.
type Window struct {
	Chapter
	Impressions int `json:"impressions"`
	Clicks      int `json:"clicks"`
	Carts       int `json:"carts"`
	Sales
	PaidOrders int     `json:"paid_orders"`
	PaidGMV    int64   `json:"paid_gmv_minor"`
	Conversion float64 `json:"conversion"`
	// After is what the product sold in AfterMinutes after the window.
	After Sales `json:"after"`
}

// ProductMoney is one product's money over the show.
type ProductMoney struct {
	ProductID string `json:"product_id"`
	Sales
	PaidOrders    int   `json:"paid_orders"`
	PaidGMV       int64 `json:"paid_gmv_minor"`
	Refunds       int   `json:"refunds"`
	RefundedMinor int64 `json:"refunded_minor"`
}

// Money is what the show earned.
type Money struct {
	Sales
	PaidOrders    int            `json:"paid_orders"`
	PaidGMV       int64          `json:"paid_gmv_minor"`
	AOV           int64          `json:"aov_minor"`
	Refunds       int            `json:"refunds"`
	RefundedMinor int64          `json:"refunded_minor"`
	ByProduct     []ProductMoney `json:"by_product"`
	GMVByMinute   []int64        `json:"gmv_by_minute"`
	PaidByMinute  []int64        `json:"paid_by_minute"`
}

// Replay is what the show's replay did (until the room's next show).
type Replay struct {
	Views         int            `json:"views"`
	UniqueViewers int            `json:"unique_viewers"`
	ChapterPlays  int            `json:"chapter_plays"`
	PlaysByProd   map[string]int `json:"chapter_plays_by_product"`
	Sales
	PaidOrders int   `json:"paid_orders"`
	PaidGMV    int64 `json:"paid_gmv_minor"`
}

// interval is one viewer's presence [from, to).
type interval struct{ from, to time.Time }

// compute builds the report of in; after is N of Window.After.
func compute(in *input, after time.Duration) Report {
	sh := in.show
	r := Report{Show: sh, Final: sh.Ended(), DurationMS: in.end.Sub(sh.StartedAt).Milliseconds(), AfterMinutes: int(after / time.Minute)}
	minutes := int((r.DurationMS + 59_999) / 60_000)
	minutes = max(minutes, 1)
	minute := func(t time.Time) int { return min(max(int(t.Sub(sh.StartedAt)/time.Minute), 0), minutes-1) }

	presence := computeAudience(in, &r.Audience)
	computeInteraction(in, &r, minutes, minute)
	r.Chapters = chapters(in)
	computeMoney(in, &r, minutes, minute)
	for _, c := range r.Chapters {
		r.Products = append(r.Products, window(in, c, presence, after))
	}
	r.Chapters = nonNil(r.Chapters)
	r.Products = nonNil(r.Products)
	computeReplay(in, &r)
	return r
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// computeAudience fills a and returns every viewer's presence.
func computeAudience(in *input, a *Audience) map[string][]interval {
	open := map[string]int{}
	since := map[string]time.Time{}
	presence := map[string][]interval{}
	first := map[string]string{} // viewer → referrer of the first join
	var order []string
	online := 0
	step := func(at time.Time) {
		if n := len(a.Curve); n > 0 && a.Curve[n-1].At.Equal(at) {
			a.Curve[n-1].Online = online
		} else {
			a.Curve = append(a.Curve, Point{At: at, Online: online})
		}
		if online > a.Peak {
			a.Peak, a.PeakAt = online, at
		}
	}
	for _, ev := range in.live {
		k := viewerKey(ev.UserID, ev.Viewer)
		switch ev.Kind {
		case events.AudienceJoined:
			if _, ok := first[k]; !ok {
				first[k] = ev.Referrer
				order = append(order, k)
			}
			open[k]++
			if open[k] == 1 {
				since[k] = ev.At
				online++
				step(ev.At)
			}
		case events.AudienceLeft:
			if open[k] == 0 {
				continue
			}
			open[k]--
			if open[k] == 0 {
				presence[k] = append(presence[k], interval{since[k], ev.At})
				online--
				step(ev.At)
			}
		}
	}
	for k, n := range open {
		if n > 0 {
			presence[k] = append(presence[k], interval{since[k], in.end})
		}
	}
	a.Curve = nonNil(a.Curve)
	a.UniqueViewers = len(order)
	watch := make([]int64, 0, len(order))
	var total int64
	for _, k := range order {
		var w int64
		for _, iv := range presence[k] {
			w += iv.to.Sub(iv.from).Milliseconds()
		}
		watch = append(watch, w)
		total += w
		if in.known[k] {
			a.ReturningViewers++
		} else {
			a.NewViewers++
		}
	}
	for i, from := range watchBounds {
		b := Bucket{FromMS: from}
		if i+1 < len(watchBounds) {
			b.ToMS = watchBounds[i+1]
		}
		for _, w := range watch {
			if w >= b.FromMS && (b.ToMS == 0 || w < b.ToMS) {
				b.Viewers++
			}
		}
		a.WatchBuckets = append(a.WatchBuckets, b)
	}
	if n := len(watch); n > 0 {
		a.AvgWatchMS = total / int64(n)
		slices.Sort(watch)
		if n%2 == 1 {
			a.MedianWatchMS = watch[n/2]
		} else {
			a.MedianWatchMS = (watch[n/2-1] + watch[n/2]) / 2
		}
	}
	bySource := map[string]int{}
	for _, k := range order {
		ref := first[k]
		if ref == "" {
			ref = "direct"
		}
		bySource[ref]++
	}
	for ref, n := range bySource {
		a.Sources = append(a.Sources, Source{Referrer: ref, Viewers: n})
	}
	sort.Slice(a.Sources, func(i, j int) bool {
		if a.Sources[i].Viewers != a.Sources[j].Viewers {
			return a.Sources[i].Viewers > a.Sources[j].Viewers
		}
		return a.Sources[i].Referrer < a.Sources[j].Referrer
	})
	a.Sources = nonNil(a.Sources)
	return presence
}

func computeInteraction(in *input, r *Report, minutes int, minute func(time.Time) int) {
	x := &r.Interaction
	x.DanmakuByMinute, x.LikesByMinute, x.GiftsByMinute = make([]int, minutes), make([]int, minutes), make([]int, minutes)
	viewers := map[string]bool{}
	interacted := map[string]bool{}
	for _, ev := range in.live {
		k := viewerKey(ev.UserID, ev.Viewer)
		switch ev.Kind {
		case events.AudienceJoined:
			viewers[k] = true
		case events.AudienceDanmaku:
			x.Danmaku++
			x.DanmakuByMinute[minute(ev.At)]++
			interacted[k] = true
		case events.AudienceLike:
			x.Likes += ev.Count
			x.LikesByMinute[minute(ev.At)] += ev.Count
			interacted[k] = true
		case events.AudienceGift:
			n := max(ev.Count, 1)
			x.Gifts += n
			x.GiftsByMinute[minute(ev.At)] += n
			interacted[k] = true
		case events.AudienceClick, events.AudienceCart:
			interacted[k] = true
		}
	}
	for k := range interacted {
		if viewers[k] {
			x.Interacted++
		}
	}
	if len(viewers) > 0 {
		x.Rate = float64(x.Interacted) / float64(len(viewers))
	}
}

// chapters cuts the show at its product cards: a card shown opens its
// product's chapter (a newer card of the same product, a stock change,
// continues it); hiding it, another product's card or the end closes it.
func chapters(in *input) []Chapter {
	var out []Chapter
	var cur *Chapter
	closeAt := func(at time.Time) {
		if cur != nil {
			cur.End = at
			cur.DurationMS = at.Sub(cur.Start).Milliseconds()
			out = append(out, *cur)
			cur = nil
		}
	}
	for _, c := range in.cards {
		if cur != nil && c.Shown && c.ProductID == cur.ProductID {
			continue
		}
		closeAt(c.At)
		if c.Shown && c.ProductID != "" {
			cur = &Chapter{ProductID: c.ProductID, Title: c.Title, Image: c.Image, PriceMinor: c.PriceMinor, LivePriceMinor: c.LivePriceMinor,
				Currency: c.Currency, Start: c.At, OffsetMS: c.At.Sub(in.show.StartedAt).Milliseconds()}
		}
	}
	closeAt(in.end)
	return out
}
