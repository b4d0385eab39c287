package presale

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/livesell/livesell/commerce/order"
)

// Reward statuses.
const (
	RewardGranted  = "granted"   // a coupon code handed to the referrer
	RewardPending  = "pending"   // a refund to pay back on the referrer's ticket
	RewardRefunded = "refunded"  // paid back
	RewardNoTicket = "no_ticket" // the referrer holds no paid ticket to refund on
)

// Code returns user's referral code for room, making it once.
func (s *Referrals) Code(ctx context.Context, room, user string) (string, error) {
	var code string
	err := s.db.QueryRowContext(ctx, `SELECT code FROM presale_referral_codes WHERE room = $1 AND user_id = $2`, room, user).Scan(&code)
	if err == nil {
		return code, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("presale: referral code: %w", err)
	}
	var b [10]byte
	rand.Read(b[:])
	code = strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	if _, err := s.db.ExecContext(ctx, `INSERT INTO presale_referral_codes (code, room, user_id) VALUES ($1, $2, $3) ON CONFLICT (room, user_id) DO NOTHING`, code, room, user); err != nil {
		return "", fmt.Errorf("presale: referral code: %w", err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT code FROM presale_referral_codes WHERE room = $1 AND user_id = $2`, room, user).Scan(&code)
	if err != nil {
		return "", fmt.Errorf("presale: referral code: %w", err)
	}
	return code, nil
}

// ShareURL is user's share link of room's presale page, carrying code.
func (s *Referrals) ShareURL(room, code string) string {
	return strings.TrimSuffix(s.opt.PublicURL, "/") + "/presale/" + url.PathEscape(room) + "?ref=" + url.QueryEscape(code)
}

// referrer is the user whose referral code for room is code.
func (s *Referrals) referrer(ctx context.Context, room, code string) (string, error) {
	if len(code) > 64 {
		return "", ErrNotFound
	}
	var user string
	err := s.db.QueryRowContext(ctx, `SELECT user_id FROM presale_referral_codes WHERE code = $1 AND room = $2`, code, room).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("presale: referrer: %w", err)
	}
	return user, nil
}

// rewardInTx records the referrer's reward for referred ticket t, once per
// ticket, inside the payment's transaction (the offer is read through tx:
// no other connection is used while the order row is locked).
func (s *Referrals) rewardInTx(ctx context.Context, tx *sql.Tx, t Ticket, now time.Time) error {
	off, err := offerFrom(tx.QueryRowContext(ctx, `SELECT body FROM presale_offers WHERE room = $1`, t.Room), t.Room)
	if err != nil {
		return err
	}
	r := off.Referral
	if r.Kind == RewardNone {
		return nil
	}
	status, amount := RewardGranted, int64(0)
	if r.Kind == RewardRefund {
		status, amount = RewardPending, r.RefundMinor
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO presale_rewards (ticket_id, room, referrer, kind, coupon_code, amount_minor, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (ticket_id) DO NOTHING`,
		t.ID, t.Room, t.Referrer, r.Kind, r.CouponCode, amount, status, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("presale: reward: %w", err)
	}
	return nil
}

// payReward pays a pending refund reward of referred ticket t back on the
// referrer's own paid ticket of the show, once (claimed in SQL first).
func (s *Referrals) payReward(ctx context.Context, t Ticket) {
	res, err := s.db.ExecContext(ctx, `UPDATE presale_rewards SET status = 'paying' WHERE ticket_id = $1 AND status = $2`, t.ID, RewardPending)
	if err != nil {
		s.log.Warn("reward claim", "ticket", t.ID, "err", err)
		return
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return
	}
	var amount int64
	if err := s.db.QueryRowContext(ctx, `SELECT amount_minor FROM presale_rewards WHERE ticket_id = $1`, t.ID).Scan(&amount); err != nil {
		s.log.Warn("reward read", "ticket", t.ID, "err", err)
		return
	}
	status := RewardNoTicket
	mine, err := s.store.tickets(ctx, `SELECT `+ticketCols+` FROM presale_tickets WHERE room = $1 AND user_id = $2 AND status = $3 ORDER BY created_at`, t.Room, t.Referrer, StatusPaid)
	if err == nil {
		for _, m := range mine {
			oid := m.OrderID
			if m.BalanceOrderID != "" {
				oid = m.BalanceOrderID
			}
			if o, gerr := s.orders.Get(ctx, oid); gerr == nil && o.Status == order.Paid && o.AmountMinor > amount {
				if err = s.orders.Payments.RefundPart(ctx, oid, amount, "referral_reward"); err == nil {
					status = RewardRefunded
					break
				}
			}
		}
	}
	if err != nil {
		s.log.Warn("referral reward refund", "ticket", t.ID, "referrer", t.Referrer, "err", err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE presale_rewards SET status = $1 WHERE ticket_id = $2`, status, t.ID); err != nil {
		s.log.Warn("reward status", "ticket", t.ID, "err", err)
	}
}

// Referral is one referrer's attribution in a show.
type Referral struct {
	Referrer    string `json:"referrer"`
	Code        string `json:"code,omitempty"`
	Tickets     int64  `json:"tickets"`      // paid tickets bought through their link
	Reserved    int64  `json:"reserved"`     // tickets reserved through their link (any state)
	Coupons     int64  `json:"coupons"`      // coupon rewards granted
	RefundMinor int64  `json:"refund_minor"` // refund rewards paid back
}

// List lists room's referrers, most paid tickets first.
func (s *Referrals) List(ctx context.Context, room string) ([]Referral, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.referrer, COALESCE(MAX(c.code), ''), count(*),
		SUM(CASE WHEN t.status = $1 THEN 1 ELSE 0 END)
		FROM presale_tickets t LEFT JOIN presale_referral_codes c ON c.room = t.room AND c.user_id = t.referrer
		WHERE t.room = $2 AND t.referrer <> '' GROUP BY t.referrer`, StatusPaid, room)
	if err != nil {
		return nil, fmt.Errorf("presale: referrals: %w", err)
	}
	out := []Referral{}
	idx := map[string]int{}
	for rows.Next() {
		var r Referral
		if err := rows.Scan(&r.Referrer, &r.Code, &r.Reserved, &r.Tickets); err != nil {
			rows.Close()
			return nil, fmt.Errorf("presale: referrals: %w", err)
		}
		idx[r.Referrer] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("presale: referrals: %w", err)
	}
	rw, err := s.db.QueryContext(ctx, `SELECT referrer, kind, status, amount_minor FROM presale_rewards WHERE room = $1`, room)
	if err != nil {
		return nil, fmt.Errorf("presale: rewards: %w", err)
	}
	defer rw.Close()
	for rw.Next() {
		var ref, kind, status string
		var amount int64
		if err := rw.Scan(&ref, &kind, &status, &amount); err != nil {
			return nil, fmt.Errorf("presale: rewards: %w", err)
		}
		i, ok := idx[ref]
		if !ok {
			continue
		}
		if kind == RewardCoupon {
			out[i].Coupons++
		} else if status == RewardRefunded {
			out[i].RefundMinor += amount
		}
	}
	sortReferrals(out)
	return out, rw.Err()
}

func sortReferrals(rs []Referral) {
	sort.Slice(rs, func(i, j int) bool {
		return rs[i].Tickets > rs[j].Tickets || rs[i].Tickets == rs[j].Tickets && rs[i].Referrer < rs[j].Referrer
	})
}
