package presale_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func TestParseGuestList(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     string
		guests []presale.Guest
		errs   []presale.LineError
	}{
		{"plain", "u1\nu2\n", []presale.Guest{{Line: 1, UserID: "u1"}, {Line: 2, UserID: "u2"}}, nil},
		{"header, tiers, CRLF, BOM, quotes, comments, blanks", "\xef\xbb\xbfuser_id,tier\r\n# VIPs\r\n\"u1\",vip\r\n\r\n  u2 , standard \r\n",
			[]presale.Guest{{Line: 3, UserID: "u1", Tier: "vip"}, {Line: 5, UserID: "u2", Tier: "standard"}}, nil},
		{"per-line errors", "u1\n,vip\nu2,vip,extra\nu3,VIP!\nu1\n" + strings.Repeat("x", 129) + "\nu\x01x\nok\n",
			[]presale.Guest{{Line: 1, UserID: "u1"}, {Line: 8, UserID: "ok"}},
			[]presale.LineError{
				{Line: 2, Code: presale.LineBadUser, Message: "the user id is empty"},
				{Line: 3, Code: presale.LineBadFields, Message: "a line is user_id or user_id,tier (3 fields)"},
				{Line: 4, Code: presale.LineBadTier, Message: "the tier is 1 to 32 of a-z 0-9 _ -"},
				{Line: 5, Code: presale.LineDuplicate, Message: "the user is listed already on line 1"},
				{Line: 6, Code: presale.LineBadUser, Message: "the user id is longer than 128 bytes"},
				{Line: 7, Code: presale.LineBadUser, Message: "the user id holds a control character or a quote"},
			}},
		{"not UTF-8", "u1\n\xff\xfe\n", []presale.Guest{{Line: 1, UserID: "u1"}}, []presale.LineError{{Line: 2, Code: presale.LineBadText, Message: "the line is not UTF-8 text"}}},
		{"empty", "", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			guests, errs, ok := presale.ParseGuestList([]byte(c.in))
			if !ok || !reflect.DeepEqual(guests, c.guests) || !reflect.DeepEqual(errs, c.errs) {
				t.Fatalf("got %+v %+v %v\nwant %+v %+v", guests, errs, ok, c.guests, c.errs)
			}
		})
	}
	if _, _, ok := presale.ParseGuestList([]byte(strings.Repeat("u\n", presale.MaxGuestLines+1))); ok {
		t.Fatal("a list over the line limit was read")
	}
}

func FuzzParseGuestList(f *testing.F) {
	for _, s := range []string{"u1\nu2,vip\n", "user_id,tier\r\n\"a\",b\n", ",,,\n\xff", "#x\n\n  \n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		guests, errs, ok := presale.ParseGuestList(b)
		if !ok {
			return
		}
		seen := map[string]bool{}
		last := 0
		for _, g := range guests {
			if g.UserID == "" || len(g.UserID) > 128 || seen[g.UserID] || g.Line <= last {
				t.Fatalf("bad guest %+v", g)
			}
			seen[g.UserID], last = true, g.Line
		}
		for _, e := range errs {
			if e.Line < 1 || e.Code == "" || e.Message == "" {
				t.Fatalf("bad line error %+v", e)
			}
		}
	})
}

// TestGuestListImport: the operator's guest list entitles each valid line
// (once), reports each refused line, and the guests are let in.
func TestGuestListImport(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("guests",
			presale.Tier{Name: "standard", Quantity: 100, Mode: presale.ModeFull, PriceMinor: 100},
			presale.Tier{Name: "vip", Quantity: 10, Mode: presale.ModeFull, PriceMinor: 900, Sources: []string{"backstage"}}))
		res, ok, err := n.svc.Entitlements.ImportGuests(ctx, "guests", []byte("user_id,tier\nann\nbob,vip\ncat,gold\nann\n\n,vip\n"))
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		want := []presale.LineError{
			{Line: 4, Code: presale.LineBadTier, Message: `the offer has no tier "gold"`},
			{Line: 5, Code: presale.LineDuplicate, Message: "the user is listed already on line 2"},
			{Line: 7, Code: presale.LineBadUser, Message: "the user id is empty"},
		}
		if res.Granted != 2 || res.Already != 0 || !reflect.DeepEqual(res.Errors, want) {
			t.Fatalf("import %+v", res)
		}
		res, _, _ = n.svc.Entitlements.ImportGuests(ctx, "guests", []byte("ann\n"))
		if res.Granted != 0 || res.Already != 1 {
			t.Fatalf("re-import %+v", res)
		}
		if _, p, ok, _ := n.passes.Pass(ctx, "guests", "bob"); !ok || p.Tier != "vip" || len(p.Sources) != 1 {
			t.Fatalf("bob's pass %+v %v", p, ok)
		}
		if _, p, ok, _ := n.passes.Pass(ctx, "guests", "ann"); !ok || p.Tier != "standard" {
			t.Fatalf("ann's pass %+v %v", p, ok)
		}
		if c := e.count(t, `SELECT count(*) FROM presale_entitlements WHERE room = 'guests' AND source = 'guest_list'`); c != 2 {
			t.Fatalf("%d guest entitlements", c)
		}
		if c := e.count(t, `SELECT count(*) FROM presale_outbox WHERE event_type = 'granted'`); c != 2 {
			t.Fatalf("%d grant events", c)
		}
		// The shop's backend grants and the operator revokes.
		if _, err := n.svc.Entitlements.Grant(ctx, "guests", "dan", "vip", "api"); err != nil {
			t.Fatal(err)
		}
		if err := n.svc.Entitlements.Revoke(ctx, "guests", "bob", ""); err != nil {
			t.Fatal(err)
		}
		if _, _, ok, _ := n.passes.Pass(ctx, "guests", "bob"); ok {
			t.Fatal("bob still let in after the revoke")
		}
		if err := n.svc.Entitlements.Revoke(ctx, "guests", "bob", ""); err == nil {
			t.Fatal("a second revoke found something to revoke")
		}
	})
}

// TestReferralAttribution: each buyer's share link carries their code;
// paid tickets bought through it are attributed, and the offer's reward
// is given once per referred paid ticket (a coupon code, or a part refund
// on the referrer's own ticket).
func TestReferralAttribution(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		n := e.nodes[0]
		for _, c := range []struct {
			room   string
			reward presale.Reward
		}{
			{"coupon", presale.Reward{Kind: presale.RewardCoupon, CouponCode: "THANKS10"}},
			{"cashback", presale.Reward{Kind: presale.RewardRefund, RefundMinor: 500}},
		} {
			off := e.show(c.room, presale.Tier{Name: "standard", Quantity: 100, Mode: presale.ModeFull, PriceMinor: 4900})
			off.Referral = c.reward
			e.put(t, off)
			pa, err := n.svc.Buy(ctx, c.room, "amy", presale.BuyRequest{Tier: "standard"}, "")
			if err != nil {
				t.Fatal(err)
			}
			e.paid(t, n, pa.Order)
			mine, err := n.svc.MyTickets(ctx, "amy")
			if err != nil || len(mine) == 0 || mine[0].ReferralCode == "" || !strings.Contains(mine[0].ShareURL, "/presale/"+c.room+"?ref="+mine[0].ReferralCode) {
				t.Fatalf("amy's share link: %+v %v", mine, err)
			}
			code := mine[0].ReferralCode
			if err := n.svc.Analytics.RecordView(ctx, c.room, "visitor-bea-1", code); err != nil {
				t.Fatal(err)
			}
			for _, u := range []string{"bea", "cal"} {
				p, err := n.svc.Buy(ctx, c.room, u, presale.BuyRequest{Tier: "standard", Ref: code}, "")
				if err != nil || p.Ticket.Referrer != "amy" {
					t.Fatalf("%s through amy's link: %+v %v", u, p.Ticket, err)
				}
				e.paid(t, n, p.Order)
			}
			// Unpaid, self-referred and unknown codes are not counted.
			if p, err := n.svc.Buy(ctx, c.room, "dee", presale.BuyRequest{Tier: "standard", Ref: code}, ""); err != nil || p.Ticket.Referrer != "amy" {
				t.Fatal(err)
			}
			if p, _ := n.svc.Buy(ctx, c.room, "eve", presale.BuyRequest{Tier: "standard", Ref: "nosuch"}, ""); p.Ticket.Referrer != "" {
				t.Fatalf("an unknown code was attributed to %q", p.Ticket.Referrer)
			}
			rs, err := n.svc.Referrals.List(ctx, c.room)
			if err != nil || len(rs) != 1 || rs[0].Referrer != "amy" || rs[0].Tickets != 2 || rs[0].Reserved != 3 || rs[0].Code != code {
				t.Fatalf("referrals %+v %v", rs, err)
			}
			switch c.reward.Kind {
			case presale.RewardCoupon:
				if rs[0].Coupons != 2 {
					t.Fatalf("coupons %d", rs[0].Coupons)
				}
			case presale.RewardRefund:
				parts := e.pay.refundsOf(pa.Order.ID)
				if rs[0].RefundMinor != 1000 || len(parts) != 2 || parts[0].AmountMinor != 500 || parts[0].Reason != "referral_reward" {
					t.Fatalf("refund rewards %d, provider refunds %+v", rs[0].RefundMinor, parts)
				}
			}
			st, err := n.svc.Analytics.Stats(ctx, c.room)
			if err != nil || st.ReferredVisitors != 1 || len(st.Referrals) != 1 || st.ReferralRefundsMinor != rs[0].RefundMinor {
				t.Fatalf("stats %+v %v", st, err)
			}
		}
	})
}

// TestStatsJSONAndCSV: the analytics count views, visitors, reservations,
// paid tickets and revenue per tier, as JSON and as CSV.
func TestStatsJSONAndCSV(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("stats",
			presale.Tier{Name: "standard", Quantity: 10, Mode: presale.ModeFull, PriceMinor: 1000},
			presale.Tier{Name: "vip", Quantity: 10, Mode: presale.ModeDeposit, PriceMinor: 5000, DepositMinor: 1000, BalanceDueAt: e.now().Add(time.Hour), DepositRule: presale.DepositForfeit}))
		for _, v := range []string{"visitor-0001", "visitor-0001", "visitor-0002"} {
			if err := n.svc.Analytics.RecordView(ctx, "stats", v, ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.svc.Analytics.RecordView(ctx, "stats", "x", ""); err == nil {
			t.Fatal("a short visitor id was counted")
		}
		p1, _ := n.svc.Buy(ctx, "stats", "a", presale.BuyRequest{Tier: "standard"}, "")
		e.paid(t, n, p1.Order)
		n.svc.Buy(ctx, "stats", "b", presale.BuyRequest{Tier: "standard"}, "")
		p3, _ := n.svc.Buy(ctx, "stats", "c", presale.BuyRequest{Tier: "vip"}, "")
		e.paid(t, n, p3.Order)
		st, err := n.svc.Analytics.Stats(ctx, "stats")
		if err != nil {
			t.Fatal(err)
		}
		std, vip := st.Tiers[0], st.Tiers[1]
		if st.Views != 3 || st.Visitors != 2 || std.Reservations != 2 || std.Paid != 1 || std.RevenueMinor != 1000 || std.PendingMinor != 1000 ||
			vip.DepositsAwaiting != 1 || vip.RevenueMinor != 1000 || vip.PendingMinor != 4000 || st.Total.RevenueMinor != 2000 ||
			len(st.SalesByHour) != 1 || st.SalesByHour[0].Paid != 1 {
			raw, _ := json.Marshal(st)
			t.Fatalf("stats %s", raw)
		}
		lines := strings.Split(strings.TrimSpace(string(presale.StatsCSV(st))), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "room,tier,views,visitors,reservations,paid") ||
			lines[1] != "stats,standard,3,2,2,1,0,0,0,0.0000,0,1000,1000,0,0,CNY" || !strings.HasPrefix(lines[3], "stats,total,") {
			t.Fatalf("csv:\n%s", strings.Join(lines, "\n"))
		}
	})
}

func FuzzParseOffer(f *testing.F) {
	f.Add([]byte(`{"title":"Launch","starts_at":"2030-01-01T00:00:00Z","currency":"CNY","tiers":[{"name":"standard","quantity":100,"mode":"tiered","steps":[{"quantity":50,"price_minor":4900},{"price_minor":6900}]}]}`))
	f.Add([]byte(`{"title":"x","starts_at":"2030-01-01T00:00:00Z","currency":"usd","tiers":[{"name":"v","quantity":-1,"mode":"deposit","price_minor":100,"deposit_minor":10,"balance_due_at":"2029-12-31T00:00:00Z","deposit_rule":"refund"}],"referral_reward":{"kind":"refund","refund_minor":5}}`))
	f.Add([]byte(`{"tiers":[{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := presale.ParseOffer("room", b)
		if err != nil {
			return
		}
		if len(o.Tiers) == 0 || o.Room != "room" {
			t.Fatalf("accepted %+v", o)
		}
		for _, tier := range o.Tiers {
			if len(tier.Steps) == 0 {
				t.Fatalf("a tier without steps: %+v", tier)
			}
			for _, s := range tier.Steps {
				if s.PriceMinor <= 0 || s.Quantity == 0 {
					t.Fatalf("bad step %+v", s)
				}
			}
			if tier.Mode == presale.ModeDeposit && (tier.DepositMinor <= 0 || tier.DepositMinor >= tier.PriceMinor) {
				t.Fatalf("bad deposit %+v", tier)
			}
		}
		// What was accepted is accepted again.
		raw, _ := json.Marshal(o)
		if _, err := presale.ParseOffer("room", raw); err != nil {
			t.Fatalf("round trip refused: %v (%s)", err, raw)
		}
	})
}

// TestOutboxRelayedAndPruned: whitelist events reach JetStream once each
// and published rows are pruned after the retention.
func TestOutboxRelayedAndPruned(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("ob", presale.Tier{Name: "standard", Quantity: 10, Mode: presale.ModeFull, PriceMinor: 100}))
		for _, u := range []string{"a", "b", "c"} {
			if _, err := n.svc.Entitlements.Grant(ctx, "ob", u, "", "api"); err != nil {
				t.Fatal(err)
			}
		}
		testenv.Eventually(t, 10*time.Second, func() bool {
			return e.count(t, `SELECT count(*) FROM presale_outbox WHERE published_at = 0`) == 0
		}, "events not relayed")
		st, err := b.JetStream.Stream(ctx, strings.ToUpper(ns)+"_ENTITLEMENTS")
		if err != nil {
			t.Fatal(err)
		}
		si, err := st.Info(ctx)
		if err != nil || si.State.Msgs != 3 {
			t.Fatalf("stream holds %d events (%v), want 3", si.State.Msgs, err)
		}
		if got, err := n.svc.Relay().Prune(ctx, time.Now().Add(time.Second)); err != nil || got != 3 {
			t.Fatalf("pruned %d (%v)", got, err)
		}
	})
}
