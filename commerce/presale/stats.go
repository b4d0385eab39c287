package presale

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"
)

var visitorID = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// ErrBadVisitor is a page view without a plausible visitor id.
var ErrBadVisitor = fmt.Errorf("%w: visitor is 8 to 64 of A-Z a-z 0-9 _ -", ErrInvalid)

// RecordView counts one view of room's presale page by visitor (an opaque
// id the page keeps), remembering the referral code of its first visit.
func (s *Analytics) RecordView(ctx context.Context, room, visitor, ref string) error {
	if !visitorID.MatchString(visitor) || len(ref) > 64 {
		return ErrBadVisitor
	}
	if _, err := s.offer(ctx, room); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO presale_views (room, visitor, views, ref, first_at) VALUES ($1, $2, 1, $3, $4)
		ON CONFLICT (room, visitor) DO UPDATE SET views = presale_views.views + 1`, room, visitor, ref, s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("presale: view: %w", err)
	}
	return nil
}

// TierStats is one tier's presale figures (money in minor units).
type TierStats struct {
	Tier              string         `json:"tier"`
	Reservations      int64          `json:"reservations"`
	Paid              int64          `json:"paid"`
	DepositsAwaiting  int64          `json:"deposits_awaiting"`
	Deposits          int64          `json:"deposits"`
	BalancePaid       int64          `json:"balance_paid"`
	BalanceConversion float64        `json:"balance_conversion"`
	Released          int64          `json:"released"`
	RevenueMinor      int64          `json:"revenue_minor"`
	PendingMinor      int64          `json:"pending_minor"`
	Refunds           int64          `json:"refunds"`
	RefundedMinor     int64          `json:"refunded_minor"`
	RefundReasons     map[string]int `json:"refund_reasons"`
}

// SalesPoint is one hour of paid tickets.
type SalesPoint struct {
	Hour         time.Time `json:"hour"`
	Paid         int64     `json:"paid"`
	RevenueMinor int64     `json:"revenue_minor"`
}

// Stats are a show's live presale figures.
type Stats struct {
	Room        string       `json:"room"`
	Currency    string       `json:"currency"`
	Views       int64        `json:"views"`
	Visitors    int64        `json:"visitors"`
	Tiers       []TierStats  `json:"tiers"`
	Total       TierStats    `json:"total"`
	SalesByHour []SalesPoint `json:"sales_over_time"`
	Referrals   []Referral   `json:"referrals"`
	// ReferredVisitors counts visitors who came by a share link.
	ReferredVisitors int64 `json:"referred_visitors"`
	// ReferralRefundsMinor is what referral rewards refunded on referrers'
	// tickets (the revenue figures above are before it).
	ReferralRefundsMinor int64 `json:"referral_refunds_minor"`
}

// Stats computes room's presale figures from SQL.
func (s *Analytics) Stats(ctx context.Context, room string) (Stats, error) {
	off, err := s.store.Offer(ctx, room)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Room: room, Currency: off.Currency, SalesByHour: []SalesPoint{}}
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(views), 0), count(*), COALESCE(SUM(CASE WHEN ref <> '' THEN 1 ELSE 0 END), 0) FROM presale_views WHERE room = $1`, room).
		Scan(&st.Views, &st.Visitors, &st.ReferredVisitors); err != nil {
		return Stats{}, fmt.Errorf("presale: stats: %w", err)
	}
	tickets, err := s.store.RoomTickets(ctx, room)
	if err != nil {
		return Stats{}, err
	}
	idx := map[string]int{}
	for _, t := range off.Tiers {
		idx[t.Name] = len(st.Tiers)
		st.Tiers = append(st.Tiers, TierStats{Tier: t.Name, RefundReasons: map[string]int{}})
	}
	st.Total = TierStats{Tier: "total", RefundReasons: map[string]int{}}
	hours := map[int64]*SalesPoint{}
	for _, t := range tickets {
		i, ok := idx[t.Tier]
		if !ok {
			continue
		}
		for _, ts := range []*TierStats{&st.Tiers[i], &st.Total} {
			ts.add(t)
		}
		if t.PaidAt != nil && t.Status == StatusPaid {
			h := t.PaidAt.Truncate(time.Hour).UnixMilli()
			p := hours[h]
			if p == nil {
				p = &SalesPoint{Hour: time.UnixMilli(h).UTC()}
				hours[h] = p
			}
			p.Paid++
			p.RevenueMinor += t.PaidMinor - t.RefundedMinor
		}
	}
	for i := range st.Tiers {
		st.Tiers[i].convert()
	}
	st.Total.convert()
	for _, p := range hours {
		st.SalesByHour = append(st.SalesByHour, *p)
	}
	sort.Slice(st.SalesByHour, func(i, j int) bool { return st.SalesByHour[i].Hour.Before(st.SalesByHour[j].Hour) })
	if st.Referrals, err = s.referrals.List(ctx, room); err != nil {
		return Stats{}, err
	}
	for _, r := range st.Referrals {
		st.ReferralRefundsMinor += r.RefundMinor
	}
	return st, nil
}

func (ts *TierStats) add(t Ticket) {
	ts.Reservations++
	ts.RevenueMinor += t.PaidMinor - t.RefundedMinor
	ts.RefundedMinor += t.RefundedMinor
	deposit := t.Pay == ModeDeposit && t.PaidMinor > 0
	if deposit {
		ts.Deposits++
	}
	switch t.Status {
	case StatusPaid:
		ts.Paid++
		if t.Pay == ModeDeposit {
			ts.BalancePaid++
		}
	case StatusDepositPaid:
		ts.DepositsAwaiting++
		ts.PendingMinor += t.PriceMinor - t.DepositMinor
	case StatusReserved:
		if t.Pay == ModeDeposit {
			ts.PendingMinor += t.DepositMinor
		} else {
			ts.PendingMinor += t.PriceMinor
		}
	case StatusReleased:
		ts.Released++
	}
	if t.RefundedMinor > 0 || t.Status == StatusRefunded {
		ts.Refunds++
		reason := t.Reason
		if reason == "" {
			reason = "refund"
		}
		ts.RefundReasons[reason]++
	}
}

func (ts *TierStats) convert() {
	if ts.Deposits > 0 {
		ts.BalanceConversion = float64(ts.BalancePaid) / float64(ts.Deposits)
	}
}

// StatsCSV is st as CSV: one row per tier and one for the total.
func StatsCSV(st Stats) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"room", "tier", "views", "visitors", "reservations", "paid", "deposits", "deposits_awaiting", "balance_paid", "balance_conversion",
		"released", "revenue_minor", "pending_minor", "refunds", "refunded_minor", "currency"})
	for _, ts := range append(append([]TierStats{}, st.Tiers...), st.Total) {
		w.Write([]string{st.Room, ts.Tier, strconv.FormatInt(st.Views, 10), strconv.FormatInt(st.Visitors, 10), i64(ts.Reservations), i64(ts.Paid),
			i64(ts.Deposits), i64(ts.DepositsAwaiting), i64(ts.BalancePaid), strconv.FormatFloat(ts.BalanceConversion, 'f', 4, 64),
			i64(ts.Released), i64(ts.RevenueMinor), i64(ts.PendingMinor), i64(ts.Refunds), i64(ts.RefundedMinor), st.Currency})
	}
	w.Flush()
	return b.Bytes()
}

func i64(v int64) string { return strconv.FormatInt(v, 10) }
