package presale

import (
	"context"
	"time"
)

// StepView is a price step as the presale page shows it.
type StepView struct {
	Step
	Sold    int64 `json:"sold"`
	Left    int64 `json:"left"` // -1: no cap of its own
	Current bool  `json:"current"`
	Ended   bool  `json:"ended"`
}

// TierView is a tier as the presale page shows it.
type TierView struct {
	Tier
	Steps     []StepView `json:"steps"`
	Sold      int64      `json:"sold"`
	Left      int64      `json:"left"` // -1 unlimited
	SalesOpen bool       `json:"sales_open"`
	// PriceMinor is the current step's price (what a buyer pays now).
	PriceMinor int64 `json:"price_minor"`
}

// OfferView is the public presale of a show.
type OfferView struct {
	Room     string     `json:"room"`
	Title    string     `json:"title"`
	StartsAt time.Time  `json:"starts_at"`
	Currency string     `json:"currency"`
	Ticketed bool       `json:"ticketed"`
	Tiers    []TierView `json:"tiers"`
	Referral Reward     `json:"referral_reward"`
}

// View is room's offer with what each tier and step has sold and has left now.
func (s *Service) View(ctx context.Context, room string) (OfferView, error) {
	off, err := s.Offer(ctx, room)
	if err != nil {
		return OfferView{}, err
	}
	now := s.now()
	v := OfferView{Room: off.Room, Title: off.Title, StartsAt: off.StartsAt, Currency: off.Currency, Ticketed: true, Referral: off.Referral}
	for i := range off.Tiers {
		t := off.Tiers[i]
		taken, total, err := s.places.Taken(ctx, tierKey(room, t.Name), len(t.Steps))
		if err != nil {
			return OfferView{}, err
		}
		tv := TierView{Tier: t, Sold: total, Left: -1}
		if t.Quantity >= 0 {
			tv.Left = max(t.Quantity-total, 0)
		}
		tv.SalesOpen = !now.Before(t.SalesStartsAt) && (t.SalesEndsAt.IsZero() || now.Before(t.SalesEndsAt)) && tv.Left != 0
		if t.Mode == ModeDeposit && !now.Before(t.BalanceDueAt) {
			tv.SalesOpen = false
		}
		found := false
		for j, st := range t.Steps {
			sv := StepView{Step: st, Sold: taken[j], Left: -1, Ended: !st.Until.IsZero() && !now.Before(st.Until)}
			if st.Quantity >= 0 {
				sv.Left = max(st.Quantity-taken[j], 0)
			}
			if !found && !sv.Ended && sv.Left != 0 && tv.Left != 0 {
				sv.Current, found = true, true
				tv.PriceMinor = st.PriceMinor
			}
			tv.Steps = append(tv.Steps, sv)
		}
		if !found {
			tv.SalesOpen = false
			tv.PriceMinor = t.Steps[len(t.Steps)-1].PriceMinor
		}
		tv.Tier.Steps = nil
		v.Tiers = append(v.Tiers, tv)
	}
	return v, nil
}

// MyTickets lists user's tickets, each with its share link.
func (s *Service) MyTickets(ctx context.Context, user string) ([]Ticket, error) {
	ts, err := s.store.UserTickets(ctx, user)
	if err != nil {
		return nil, err
	}
	for i := range ts {
		s.withShare(ctx, &ts[i])
	}
	return ts, nil
}

// withShare fills t's referral code and share link (its holder's).
func (s *Service) withShare(ctx context.Context, t *Ticket) {
	code, err := s.Referrals.Code(ctx, t.Room, t.UserID)
	if err != nil {
		s.log.Warn("referral code", "room", t.Room, "err", err)
		return
	}
	t.ReferralCode, t.ShareURL = code, s.Referrals.ShareURL(t.Room, code)
}
