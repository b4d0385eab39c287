// Package loadtest is the presale load tool behind `livesell bench
// presale`: it puts an offer of one tier with two price steps on a fresh
// room, mints N buyer tokens, races the N buyers (one POST
// …/presale/tickets each), then checks through the API that no place was
// oversold and no ticket was sold at the wrong price, and pays a share of
// the tickets with signed sandbox callbacks (each sent twice, shuffled),
// checking one entitlement per paid ticket. It sends traffic to loopback
// addresses only.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/livesell/livesell/commerce/internal/loadtool"
	"github.com/livesell/livesell/commerce/payment/sandbox"
)

// Options configure a run.
type Options struct {
	Server      string // base URL, loopback only
	AdminToken  string
	Buyers      int
	Tickets     int // places in the tier; the first half at Price1, the rest at Price2
	Price1      int64
	Price2      int64
	Concurrency int
	PayShare    float64
	// SandboxSecret signs the callbacks (required to pay).
	SandboxSecret string
}

// Result is what a run measured.
type Result struct {
	Attempts, Tickets, SoldOut, Errors int
	AtPrice1, AtPrice2                 int
	Oversell, WrongPrice               int
	RaceDuration                       time.Duration
	RPS                                float64
	P50, P99, CreatedP99, SoldOutP99   time.Duration
	Paid, Entitled                     int
}

// Line is the summary line.
func (r Result) Line() string {
	return fmt.Sprintf("attempts %d tickets %d (step1 %d step2 %d) sold_out %d errors %d oversell %d wrong_price %d rps %.0f p50_ms %.1f p99_ms %.1f paid %d entitled %d",
		r.Attempts, r.Tickets, r.AtPrice1, r.AtPrice2, r.SoldOut, r.Errors, r.Oversell, r.WrongPrice, r.RPS,
		float64(r.P50.Microseconds())/1000, float64(r.P99.Microseconds())/1000, r.Paid, r.Entitled)
}

type purchase struct {
	Ticket struct {
		ID         string `json:"id"`
		Step       int    `json:"step"`
		PriceMinor int64  `json:"price_minor"`
	} `json:"ticket"`
	Order struct {
		ID          string `json:"id"`
		AmountMinor int64  `json:"amount_minor"`
		Currency    string `json:"currency"`
	} `json:"order"`
}

// Run performs the presale race and writes a report to out.
func Run(ctx context.Context, o Options, out io.Writer) (Result, error) {
	var res Result
	if err := loadtool.CheckLoopback(o.Server); err != nil {
		return res, err
	}
	if o.Buyers < 1 || o.Tickets < 2 || o.Concurrency < 1 || o.PayShare < 0 || o.PayShare > 1 || o.Price1 <= 0 || o.Price2 <= 0 {
		return res, errors.New("loadtest: need --buyers ≥ 1, --tickets ≥ 2, --concurrency ≥ 1, positive prices, 0 ≤ --pay-share ≤ 1")
	}
	c := loadtool.NewClient(o.Server, o.Concurrency, 8<<20)
	defer c.Close()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	room := "presale-" + run
	first := o.Tickets / 2
	offer := map[string]any{"title": "bench " + run, "starts_at": time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339), "currency": "CNY",
		"tiers": []any{map[string]any{"name": "standard", "quantity": o.Tickets, "mode": "tiered", "comment": true,
			"steps": []any{map[string]any{"quantity": first, "price_minor": o.Price1}, map[string]any{"price_minor": o.Price2}}}}}
	if st, err := c.Call(ctx, "PUT", "/api/rooms/"+room+"/presale", o.AdminToken, offer, nil, nil); err != nil || st != 200 {
		return res, fmt.Errorf("loadtest: put offer: status %d: %v", st, err)
	}
	fmt.Fprintf(out, "room %s: %d tickets (%d at %d, %d at %d), buyers %d, concurrency %d\n", room, o.Tickets, first, o.Price1, o.Tickets-first, o.Price2, o.Buyers, o.Concurrency)

	start := time.Now()
	tokens, err := loadtool.MintTokens(ctx, c, o.AdminToken, "ps-"+run+"-", o.Buyers, o.Concurrency)
	if err != nil {
		return res, fmt.Errorf("loadtest: %w", err)
	}
	fmt.Fprintf(out, "minted %d tokens in %s\n", o.Buyers, time.Since(start).Round(time.Millisecond))

	bought := make([]purchase, o.Buyers)
	body := []byte(`{"tier":"standard"}`)
	path := "/api/rooms/" + room + "/presale/tickets"
	race := loadtool.RunRace(ctx, o.Buyers, o.Concurrency, func(i int) (int, error) {
		return c.Call(ctx, "POST", path, tokens[i], body, map[string]string{"Idempotency-Key": "ps-" + strconv.Itoa(i)}, &bought[i])
	})
	lat, status := race.Lat, race.Status
	res.RaceDuration = race.Took
	res.Attempts = o.Buyers
	var createdLat, soldLat []time.Duration
	for i, st := range status {
		switch st {
		case 201:
			res.Tickets++
			createdLat = append(createdLat, lat[i])
			p := bought[i]
			switch {
			case p.Ticket.PriceMinor == o.Price1 && p.Ticket.Step == 1 && p.Order.AmountMinor == o.Price1:
				res.AtPrice1++
			case p.Ticket.PriceMinor == o.Price2 && p.Ticket.Step == 2 && p.Order.AmountMinor == o.Price2:
				res.AtPrice2++
			default:
				res.WrongPrice++
			}
		case 409:
			res.SoldOut++
			soldLat = append(soldLat, lat[i])
		default:
			res.Errors++
		}
	}
	res.P50, res.P99 = loadtool.Percentile(append([]time.Duration(nil), lat...), 0.50), loadtool.Percentile(append([]time.Duration(nil), lat...), 0.99)
	res.CreatedP99, res.SoldOutP99 = loadtool.Percentile(createdLat, 0.99), loadtool.Percentile(soldLat, 0.99)
	res.RPS = float64(res.Attempts) / res.RaceDuration.Seconds()
	if res.AtPrice1 > first {
		res.WrongPrice += res.AtPrice1 - first
	}
	fmt.Fprintf(out, "race %s: %d tickets (p99 %s), %d sold out (p99 %s), %d errors\n", res.RaceDuration.Round(time.Millisecond),
		res.Tickets, res.CreatedP99.Round(time.Microsecond), res.SoldOut, res.SoldOutP99.Round(time.Microsecond), res.Errors)

	// The store's view: places sold per step, and every ticket order's amount.
	var view struct {
		Tiers []struct {
			Sold  int64 `json:"sold"`
			Left  int64 `json:"left"`
			Steps []struct {
				Sold int64 `json:"sold"`
			} `json:"steps"`
		} `json:"tiers"`
	}
	if st, err := c.Call(ctx, "GET", "/api/rooms/"+room+"/presale", "", nil, nil, &view); err != nil || st != 200 || len(view.Tiers) != 1 || len(view.Tiers[0].Steps) != 2 {
		return res, fmt.Errorf("loadtest: read offer: %d %v", st, err)
	}
	v := view.Tiers[0]
	if int(v.Sold) > o.Tickets {
		res.Oversell = int(v.Sold) - o.Tickets
	}
	if int(v.Steps[0].Sold) > first {
		res.WrongPrice += int(v.Steps[0].Sold) - first
	}
	var stats struct {
		Total struct {
			Reservations int64 `json:"reservations"`
		} `json:"total"`
	}
	c.Call(ctx, "GET", "/api/rooms/"+room+"/presale/stats", o.AdminToken, nil, nil, &stats)
	if int(stats.Total.Reservations) > o.Tickets {
		res.Oversell = max(res.Oversell, int(stats.Total.Reservations)-o.Tickets)
	}
	fmt.Fprintf(out, "store: sold %d (step 1 %d, step 2 %d), left %d, ticket rows %d, oversell %d, wrong price %d\n",
		v.Sold, v.Steps[0].Sold, v.Steps[1].Sold, v.Left, stats.Total.Reservations, res.Oversell, res.WrongPrice)
	if int(v.Sold) != res.Tickets || int(stats.Total.Reservations) != res.Tickets {
		fmt.Fprintf(out, "WARNING: answers (%d tickets) and store (%d places, %d rows) disagree\n", res.Tickets, v.Sold, stats.Total.Reservations)
	}
	if o.SandboxSecret == "" || o.PayShare == 0 {
		fmt.Fprintln(out, res.Line())
		return res, nil
	}

	// Pay a share, each signed callback twice, shuffled; one entitlement each.
	toPay := loadtool.ToPay(status, o.PayShare)
	payIDs := make([]string, len(toPay))
	if err := loadtool.Parallel(ctx, len(toPay), o.Concurrency, func(k int) error {
		var co struct {
			PaymentID string `json:"payment_id"`
		}
		st, err := c.Call(ctx, "POST", "/api/orders/"+bought[toPay[k]].Order.ID+"/pay", tokens[toPay[k]], []byte(`{"provider":"sandbox"}`), nil, &co)
		if err != nil || st != 200 {
			return fmt.Errorf("pay: %d %v", st, err)
		}
		payIDs[k] = co.PaymentID
		return nil
	}); err != nil {
		return res, fmt.Errorf("loadtest: %w", err)
	}
	sends := loadtool.Twice(len(toPay))
	sp := sandbox.New(o.SandboxSecret, 5*time.Minute)
	loadtool.Parallel(ctx, len(sends), o.Concurrency, func(j int) error {
		k := sends[j]
		p := bought[toPay[k]]
		h, b := sp.Callback(sandbox.Notice{PaymentID: payIDs[k], TransactionID: "ps-tx-" + payIDs[k], Status: "paid", AmountMinor: p.Order.AmountMinor, Currency: p.Order.Currency}, time.Now())
		c.Call(ctx, "POST", "/api/payments/sandbox/callback", "", b, loadtool.Headers(h), nil)
		return nil
	})
	res.Paid = len(toPay)
	var ents struct {
		Entitlements []struct {
			UserID    string  `json:"user_id"`
			RevokedAt *string `json:"revoked_at"`
		} `json:"entitlements"`
	}
	if st, err := c.Call(ctx, "GET", "/api/rooms/"+room+"/presale/entitlements", o.AdminToken, nil, nil, &ents); err != nil || st != 200 {
		return res, fmt.Errorf("loadtest: entitlements: %d %v", st, err)
	}
	for _, e := range ents.Entitlements {
		if e.RevokedAt == nil {
			res.Entitled++
		}
	}
	fmt.Fprintf(out, "paid %d tickets through %d shuffled duplicate callbacks: %d entitlements\n", res.Paid, len(sends), res.Entitled)
	fmt.Fprintln(out, res.Line())
	return res, nil
}
