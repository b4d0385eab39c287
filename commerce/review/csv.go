package review

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"time"
)

// CSV writes a report as rows of section, metric, key, value: one value a
// row, so a spreadsheet can pivot it. Money is in minor units, times RFC 3339.
func CSV(r Report) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	row := func(section, metric, key string, v any) {
		var s string
		switch x := v.(type) {
		case int:
			s = strconv.Itoa(x)
		case int64:
			s = strconv.FormatInt(x, 10)
		case float64:
			s = strconv.FormatFloat(x, 'f', 4, 64)
		case time.Time:
			if !x.IsZero() {
				s = x.UTC().Format(time.RFC3339Nano)
			}
		case bool:
			s = strconv.FormatBool(x)
		case string:
			s = x
		}
		w.Write([]string{section, metric, safeCell(key), safeCell(s)})
	}
	w.Write([]string{"section", "metric", "key", "value"})
	row("show", "id", "", r.Show.ID)
	row("show", "room", "", r.Show.Room)
	row("show", "started_at", "", r.Show.StartedAt)
	row("show", "ended_at", "", r.Show.EndedAt)
	row("show", "final", "", r.Final)
	row("show", "duration_ms", "", r.DurationMS)
	row("show", "currency", "", r.Currency)
	a := r.Audience
	for _, p := range a.Curve {
		row("audience", "online", p.At.UTC().Format(time.RFC3339Nano), p.Online)
	}
	row("audience", "peak", "", a.Peak)
	row("audience", "peak_at", "", a.PeakAt)
	row("audience", "unique_viewers", "", a.UniqueViewers)
	row("audience", "avg_watch_ms", "", a.AvgWatchMS)
	row("audience", "median_watch_ms", "", a.MedianWatchMS)
	for _, b := range a.WatchBuckets {
		row("audience", "watch_bucket", strconv.FormatInt(b.FromMS, 10)+"-"+strconv.FormatInt(b.ToMS, 10), b.Viewers)
	}
	row("audience", "new_viewers", "", a.NewViewers)
	row("audience", "returning_viewers", "", a.ReturningViewers)
	for _, s := range a.Sources {
		row("audience", "source", s.Referrer, s.Viewers)
	}
	x := r.Interaction
	row("interaction", "danmaku", "", x.Danmaku)
	row("interaction", "likes", "", x.Likes)
	row("interaction", "gifts", "", x.Gifts)
	for i := range x.DanmakuByMinute {
		k := strconv.Itoa(i)
		row("interaction", "danmaku_by_minute", k, x.DanmakuByMinute[i])
		row("interaction", "likes_by_minute", k, x.LikesByMinute[i])
		row("interaction", "gifts_by_minute", k, x.GiftsByMinute[i])
	}
	row("interaction", "interacted", "", x.Interacted)
	row("interaction", "rate", "", x.Rate)
	for i, p := range r.Products {
		k := strconv.Itoa(i+1) + ":" + p.ProductID
		row("product", "title", k, p.Title)
		row("product", "start", k, p.Start)
		row("product", "end", k, p.End)
		row("product", "impressions", k, p.Impressions)
		row("product", "clicks", k, p.Clicks)
		row("product", "carts", k, p.Carts)
		row("product", "orders", k, p.Orders)
		row("product", "paid_orders", k, p.PaidOrders)
		row("product", "units", k, p.Units)
		row("product", "gmv_minor", k, p.GMV)
		row("product", "paid_gmv_minor", k, p.PaidGMV)
		row("product", "conversion", k, p.Conversion)
		row("product", "after_orders", k, p.After.Orders)
		row("product", "after_units", k, p.After.Units)
		row("product", "after_gmv_minor", k, p.After.GMV)
	}
	m := r.Money
	row("money", "orders", "", m.Orders)
	row("money", "units", "", m.Units)
	row("money", "gmv_minor", "", m.GMV)
	row("money", "paid_orders", "", m.PaidOrders)
	row("money", "paid_gmv_minor", "", m.PaidGMV)
	row("money", "aov_minor", "", m.AOV)
	row("money", "refunds", "", m.Refunds)
	row("money", "refunded_minor", "", m.RefundedMinor)
	for _, p := range m.ByProduct {
		row("money", "product_gmv_minor", p.ProductID, p.GMV)
		row("money", "product_paid_gmv_minor", p.ProductID, p.PaidGMV)
		row("money", "product_refunded_minor", p.ProductID, p.RefundedMinor)
	}
	for i := range m.GMVByMinute {
		row("money", "gmv_by_minute", strconv.Itoa(i), m.GMVByMinute[i])
		row("money", "paid_by_minute", strconv.Itoa(i), m.PaidByMinute[i])
	}
	row("replay", "views", "", r.Replay.Views)
	row("replay", "unique_viewers", "", r.Replay.UniqueViewers)
	row("replay", "chapter_plays", "", r.Replay.ChapterPlays)
	row("replay", "orders", "", r.Replay.Orders)
	row("replay", "gmv_minor", "", r.Replay.GMV)
	row("replay", "paid_gmv_minor", "", r.Replay.PaidGMV)
	w.Flush()
	return buf.Bytes()
}

// safeCell keeps a spreadsheet from reading a cell as a formula.
func safeCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}
