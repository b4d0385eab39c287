// Package loadtest is the flash-sale load tool behind `livesell bench
// flashsale`: it creates a room-less product with S units, mints N buyer
// tokens, races the N buyers (one POST /api/orders each), checks there is
// no oversell through the API, then pays a share of the orders with sandbox
// callbacks sent twice each in shuffled order and checks each is PAID once.
// It sends traffic to loopback addresses only.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

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

// CheckLoopback refuses a server that is not on a loopback address.
func CheckLoopback(server string) error {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("loadtest: --server must be an http(s) URL: %q", server)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("loadtest: refusing to load %s: only loopback addresses (127.0.0.1, ::1, localhost)", host)
	}
	return nil
}

type client struct {
	base  string
	admin string
	http  *http.Client
}

func (c *client) call(ctx context.Context, method, path, token string, body any, header map[string]string, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case []byte:
			rd = bytes.NewReader(b)
		default:
			raw, err := json.Marshal(body)
			if err != nil {
				return 0, err
			}
			rd = bytes.NewReader(raw)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	if resp.StatusCode >= 500 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %.200s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, nil
}

// parallel runs fn(i) for i in [0,n) on c workers and returns the first error.
func parallel(ctx context.Context, n, c int, fn func(i int) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(float64(len(d)-1) * p)
	return d[i]
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
	if err := CheckLoopback(o.Server); err != nil {
		return res, err
	}
	if o.Buyers < 1 || o.Stock < 0 || o.Concurrency < 1 || o.PayShare < 0 || o.PayShare > 1 {
		return res, errors.New("loadtest: need --buyers ≥ 1, --stock ≥ 0, --concurrency ≥ 1, 0 ≤ --pay-share ≤ 1")
	}
	tr := &http.Transport{MaxIdleConns: o.Concurrency * 2, MaxIdleConnsPerHost: o.Concurrency * 2, MaxConnsPerHost: o.Concurrency, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	c := &client{base: o.Server, admin: o.AdminToken, http: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)

	var product struct {
		ID string `json:"id"`
	}
	if st, err := c.call(ctx, "POST", "/api/products", o.AdminToken, map[string]any{
		"title": "flash sale " + run, "price_minor": 990, "currency": "USD", "stock": o.Stock,
	}, nil, &product); err != nil || st != 201 {
		return res, fmt.Errorf("loadtest: create product: status %d: %v", st, err)
	}
	fmt.Fprintf(out, "product %s stock %d buyers %d concurrency %d\n", product.ID, o.Stock, o.Buyers, o.Concurrency)

	tokens := make([]string, o.Buyers)
	start := time.Now()
	if err := parallel(ctx, o.Buyers, o.Concurrency, func(i int) error {
		var tok struct {
			Token string `json:"token"`
		}
		st, err := c.call(ctx, "POST", "/api/tokens", o.AdminToken, map[string]any{"user_id": "fs-" + run + "-" + strconv.Itoa(i)}, nil, &tok)
		if err != nil || st != 201 {
			return fmt.Errorf("mint token: status %d: %v", st, err)
		}
		tokens[i] = tok.Token
		return nil
	}); err != nil {
		return res, fmt.Errorf("loadtest: %w", err)
	}
	fmt.Fprintf(out, "minted %d tokens in %s\n", o.Buyers, time.Since(start).Round(time.Millisecond))

	// The race.
	lat := make([]time.Duration, o.Buyers)
	status := make([]int, o.Buyers)
	created := make([]orderBody, o.Buyers)
	body := []byte(`{"product_id":"` + product.ID + `"}`)
	start = time.Now()
	parallel(ctx, o.Buyers, o.Concurrency, func(i int) error {
		t0 := time.Now()
		st, err := c.call(ctx, "POST", "/api/orders", tokens[i], body, map[string]string{"Idempotency-Key": "fs-" + strconv.Itoa(i)}, &created[i])
		lat[i] = time.Since(t0)
		if err != nil && st == 0 {
			st = -1
		}
		status[i] = st
		return nil
	})
	res.RaceDuration = time.Since(start)
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
	res.P50, res.P99 = pct(all, 0.50), pct(all, 0.99)
	res.CreatedP50, res.CreatedP99 = pct(createdLat, 0.50), pct(createdLat, 0.99)
	res.SoldOutP50, res.SoldOutP99 = pct(soldLat, 0.50), pct(soldLat, 0.99)
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
		if st, err := c.call(ctx, "GET", "/api/orders?limit=500&cursor="+url.QueryEscape(cursor), o.AdminToken, nil, nil, &page); err != nil || st != 200 {
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
	c.call(ctx, "GET", "/api/products/"+product.ID+"/stock", "", nil, nil, &stock)
	if len(orders) > o.Stock {
		res.Oversell = len(orders) - o.Stock
	}
	fmt.Fprintf(out, "orders in the store %d, stock left %d, oversell %d\n", len(orders), stock.Left, res.Oversell)
	if len(orders) != res.Orders || int64(o.Stock-len(orders)) != stock.Left {
		fmt.Fprintf(out, "WARNING: answers (%d created) and store (%d orders, %d left) disagree\n", res.Orders, len(orders), stock.Left)
	}

	// Pay a share, each callback twice, shuffled.
	var toPay []int
	for i := range status {
		if status[i] == 201 {
			toPay = append(toPay, i)
		}
	}
	rand.Shuffle(len(toPay), func(a, b int) { toPay[a], toPay[b] = toPay[b], toPay[a] })
	toPay = toPay[:int(float64(len(toPay))*o.PayShare)]
	payIDs := make([]string, len(toPay))
	if err := parallel(ctx, len(toPay), o.Concurrency, func(k int) error {
		i := toPay[k]
		var co struct {
			PaymentID string `json:"payment_id"`
		}
		st, err := c.call(ctx, "POST", "/api/orders/"+created[i].ID+"/pay", tokens[i], map[string]any{"provider": "sandbox"}, nil, &co)
		if err != nil || st != 200 {
			return fmt.Errorf("pay %s: %d %v", created[i].ID, st, err)
		}
		payIDs[k] = co.PaymentID
		return nil
	}); err != nil {
		return res, fmt.Errorf("loadtest: %w", err)
	}
	type send struct{ k int }
	sends := make([]send, 0, 2*len(toPay))
	for k := range toPay {
		sends = append(sends, send{k}, send{k})
	}
	rand.Shuffle(len(sends), func(a, b int) { sends[a], sends[b] = sends[b], sends[a] })
	sp := sandbox.New(o.SandboxSecret, 5*time.Minute)
	var cbErrors atomic.Int64
	parallel(ctx, len(sends), o.Concurrency, func(j int) error {
		k := sends[j].k
		i := toPay[k]
		var st int
		var err error
		if o.SandboxSecret != "" {
			h, b := sp.Callback(sandbox.Notice{PaymentID: payIDs[k], TransactionID: "fs-tx-" + payIDs[k], Status: "paid", AmountMinor: created[i].Amount, Currency: created[i].Currency}, time.Now())
			hdr := map[string]string{}
			for name := range h {
				hdr[name] = h.Get(name)
			}
			st, err = c.call(ctx, "POST", "/api/payments/sandbox/callback", "", b, hdr, nil)
		} else {
			// The hosted page's button, pressed as the buyer (an anonymous
			// press is refused).
			st, err = c.call(ctx, "POST", "/pay/sandbox/"+payIDs[k]+"/pay", tokens[i], nil, nil, nil)
		}
		if err != nil || st != 200 {
			cbErrors.Add(1)
		}
		return nil
	})
	res.Paid, res.CallbacksSent = len(toPay), len(sends)
	parallel(ctx, len(toPay), o.Concurrency, func(k int) error {
		i := toPay[k]
		var ob orderBody
		if st, err := c.call(ctx, "GET", "/api/orders/"+created[i].ID, tokens[i], nil, nil, &ob); err == nil && st == 200 && ob.Status == "PAID" {
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
		if st, err := c.call(ctx, "GET", "/api/orders?status=PAID&limit=500&cursor="+url.QueryEscape(cursor), o.AdminToken, nil, nil, &page); err != nil || st != 200 {
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
