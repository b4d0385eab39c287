// Package loadtest is the flash-sale load tool behind `livesell bench
// flashsale`: it creates a room-less product with S units, mints N buyer
// tokens, races the N buyers (one POST /api/orders each), checks there is
// no oversell through the API, then pays a share of the orders with sandbox
// callbacks sent twice each in shuffled order and checks each is PAID once.
// It sends traffic to loopback addresses only.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livesell/livesell/commerce/internal/loadtool"
	"github.com/livesell/livesell/commerce/payment/sandbox"
)

// Options configure a run.
type Options struct {
	Server      string // base URL, loopback only
	AdminToken  string
	Buyers      int
	Stock       int
	Concurrency int
	PayShare    float64
	// SandboxSecret signs the callbacks; empty presses the hosted page's
	// Pay button instead (the server signs).
	SandboxSecret string
}

// Result is what a run measured.
type Result struct {
	Attempts, Orders, SoldOut, Errors, Oversell int
	RaceDuration                                time.Duration
	RPS                                         float64
	P50, P99, CreatedP50, CreatedP99            time.Duration
	SoldOutP50, SoldOutP99                      time.Duration
	Paid, CallbacksSent, PaidOK                 int
}

// Line is the summary line, e.g. "attempts 20000 orders 2000 sold_out 18000 oversell 0 rps 9100 p99_ms 18".
func (r Result) Line() string {
	return fmt.Sprintf("attempts %d orders %d sold_out %d oversell %d rps %.0f p99_ms %d",
		r.Attempts, r.Orders, r.SoldOut, r.Oversell, r.RPS, r.P99.Milliseconds())
}

type orderBody struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	ProductID string `json:"product_id"`
	Status    string `json:"status"`
	Amount    int64  `json:"amount_minor"`
	Currency  string `json:"currency"`
}

// Run performs the flash sale and writes a report to out.
func Run(ctx context.Context, o Options, out io.Writer) (Result, error) {
	var res Result
	if err := loadtool.CheckLoopback(o.Server); err != nil {
		return res, err
	}
	if o.Buyers < 1 || o.Stock < 0 || o.Concurrency < 1 || o.PayShare < 0 || o.PayShare > 1 {
		return res, errors.New("loadtest: need --buyers ≥ 1, --stock ≥ 0, --concurrency ≥ 1, 0 ≤ --pay-share ≤ 1")
	}
	c := loadtool.NewClient(o.Server, o.Concurrency, 4<<20)
	defer c.Close()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)

	var product struct {
		ID string `json:"id"`
	}
	if st, err := c.Call(ctx, "POST", "/api/products", o.AdminToken, map[string]any{
		"title": "flash sale " + run, "price_minor": 990, "currency": "USD", "stock": o.Stock,
	}, nil, &product); err != nil || st != 201 {
		return res, fmt.Errorf("loadtest: create product: status %d: %v", st, err)
	}
	fmt.Fprintf(out, "product %s stock %d buyers %d concurrency %d\n", product.ID, o.Stock, o.Buyers, o.Concurrency)

	start := time.Now()
	tokens, err := loadtool.MintTokens(ctx, c, o.AdminToken, "fs-"+run+"-", o.Buyers, o.Concurrency)
	if err != nil {
		return res, fmt.Errorf("loadtest: %w", err)
	}
	fmt.Fprintf(out, "minted %d tokens in %s\n", o.Buyers, time.Since(start).Round(time.Millisecond))

	// The race.
	created := make([]orderBody, o.Buyers)
	body := []byte(`{"product_id":"` + product.ID + `"}`)
	race := loadtool.RunRace(ctx, o.Buyers, o.Concurrency, func(i int) (int, error) {
		return c.Call(ctx, "POST", "/api/orders", tokens[i], body, map[string]string{"Idempotency-Key": "fs-" + strconv.Itoa(i)}, &created[i])
	})
	lat, status := race.Lat, race.Status
	res.RaceDuration = race.Took
	res.Attempts = o.Buyers
	var createdLat, soldLat []time.Duration
	for i, st := range status {
		switch st {
		case 201:
			res.Orders++
			createdLat = append(createdLat, lat[i])
		case 409:
			res.SoldOut++
			soldLat = append(soldLat, lat[i])
		default:
			res.Errors++
		}
	}
	all := append([]time.Duration(nil), lat...)
	res.P50, res.P99 = loadtool.Percentile(all, 0.50), loadtool.Percentile(all, 0.99)
	res.CreatedP50, res.CreatedP99 = loadtool.Percentile(createdLat, 0.50), loadtool.Percentile(createdLat, 0.99)
	res.SoldOutP50, res.SoldOutP99 = loadtool.Percentile(soldLat, 0.50), loadtool.Percentile(soldLat, 0.99)
	res.RPS = float64(res.Attempts) / res.RaceDuration.Seconds()
	fmt.Fprintf(out, "race %s: %d created (p50 %s p99 %s), %d sold out (p50 %s p99 %s), %d errors\n",
		res.RaceDuration.Round(time.Millisecond), res.Orders, res.CreatedP50.Round(time.Microsecond), res.CreatedP99.Round(time.Microsecond),
		res.SoldOut, res.SoldOutP50.Round(time.Microsecond), res.SoldOutP99.Round(time.Microsecond), res.Errors)

	// Oversell, checked through the API: every order of the product, and the stock left.
	var orders []orderBody
	cursor := ""
	for {
		var page struct {
			Orders []orderBody `json:"orders"`
			Next   string      `json:"next_cursor"`
		}
		if st, err := c.Call(ctx, "GET", "/api/orders?limit=500&cursor="+url.QueryEscape(cursor), o.AdminToken, nil, nil, &page); err != nil || st != 200 {
			return res, fmt.Errorf("loadtest: list orders: %d %v", st, err)
		}
		for _, ob := range page.Orders {
			if ob.ProductID == product.ID {
				orders = append(orders, ob)
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	var stock struct {
		Left int64 `json:"stock_left"`
	}
	c.Call(ctx, "GET", "/api/products/"+product.ID+"/stock", "", nil, nil, &stock)
	if len(orders) > o.Stock {
		res.Oversell = len(orders) - o.Stock
	}
	fmt.Fprintf(out, "orders in the store %d, stock left %d, oversell %d\n", len(orders), stock.Left, res.Oversell)
	if len(orders) != res.Orders || int64(o.Stock-len(orders)) != stock.Left {
		fmt.Fprintf(out, "WARNING: answers (%d created) and store (%d orders, %d left) disagree\n", res.Orders, len(orders), stock.Left)
	}

	// Pay a share, each callback twice, shuffled.
	toPay := loadtool.ToPay(status, o.PayShare)
	payIDs := make([]string, len(toPay))
	if err := loadtool.Parallel(ctx, len(toPay), o.Concurrency, func(k int) error {
		i := toPay[k]
		var co struct {
			PaymentID string `json:"payment_id"`
		}
		st, err := c.Call(ctx, "POST", "/api/orders/"+created[i].ID+"/pay", tokens[i], map[string]any{"provider": "sandbox"}, nil, &co)
		if err != nil || st != 200 {
			return fmt.Errorf("pay %s: %d %v", created[i].ID, st, err)
		}
		payIDs[k] = co.PaymentID
		return nil
	}); err != nil {
		return res, fmt.Errorf("loadtest: %w", err)
	}
	sends := loadtool.Twice(len(toPay))
	sp := sandbox.New(o.SandboxSecret, 5*time.Minute)
	var cbErrors atomic.Int64
	loadtool.Parallel(ctx, len(sends), o.Concurrency, func(j int) error {
		k := sends[j]
		i := toPay[k]
		var st int
		var err error
		if o.SandboxSecret != "" {
			h, b := sp.Callback(sandbox.Notice{PaymentID: payIDs[k], TransactionID: "fs-tx-" + payIDs[k], Status: "paid", AmountMinor: created[i].Amount, Currency: created[i].Currency}, time.Now())
			st, err = c.Call(ctx, "POST", "/api/payments/sandbox/callback", "", b, loadtool.Headers(h), nil)
		} else {
			// The hosted page's button, pressed as the buyer (an anonymous
			// press is refused).
			st, err = c.Call(ctx, "POST", "/pay/sandbox/"+payIDs[k]+"/pay", tokens[i], nil, nil, nil)
		}
		if err != nil || st != 200 {
			cbErrors.Add(1)
		}
		return nil
	})
	res.Paid, res.CallbacksSent = len(toPay), len(sends)
	loadtool.Parallel(ctx, len(toPay), o.Concurrency, func(k int) error {
		i := toPay[k]
		var ob orderBody
		if st, err := c.Call(ctx, "GET", "/api/orders/"+created[i].ID, tokens[i], nil, nil, &ob); err == nil && st == 200 && ob.Status == "PAID" {
			atomicAdd(&res.PaidOK)
		}
		return nil
	})
	paidInStore := 0
	cursor = ""
	for {
		var page struct {
			Orders []orderBody `json:"orders"`
			Next   string      `json:"next_cursor"`
		}
		if st, err := c.Call(ctx, "GET", "/api/orders?status=PAID&limit=500&cursor="+url.QueryEscape(cursor), o.AdminToken, nil, nil, &page); err != nil || st != 200 {
			break
		}
		for _, ob := range page.Orders {
			if ob.ProductID == product.ID {
				paidInStore++
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	fmt.Fprintf(out, "paid %d orders with %d callbacks (duplicated, shuffled; %d refused): %d PAID, %d PAID in the store\n",
		res.Paid, res.CallbacksSent, cbErrors.Load(), res.PaidOK, paidInStore)
	if res.PaidOK != res.Paid || paidInStore != res.Paid {
		fmt.Fprintf(out, "WARNING: paid orders do not match\n")
	}
	fmt.Fprintln(out, res.Line())
	return res, nil
}

var addMu sync.Mutex

func atomicAdd(p *int) {
	addMu.Lock()
	*p++
	addMu.Unlock()
}
