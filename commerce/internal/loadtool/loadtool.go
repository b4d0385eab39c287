// Package loadtool holds the pieces the load tools of commerce share
// (`livesell bench flashsale` in commerce/loadtest, `livesell bench
// presale` in commerce/presale/loadtest): the loopback check, an HTTP
// client for the JSON API, a worker pool, the buyers' tokens, the timed
// race, and the choice of what to pay.
package loadtool

import (
	"bytes"
	"context"
	"encoding/json"
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
)

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

// Client calls the JSON API of one server.
type Client struct {
	base        string
	tr          *http.Transport
	http        *http.Client
	maxResponse int64
}

// NewClient returns a client of base that keeps up to concurrency
// connections and reads at most maxResponse bytes of an answer. Close it.
func NewClient(base string, concurrency int, maxResponse int64) *Client {
	tr := &http.Transport{MaxIdleConns: concurrency * 2, MaxIdleConnsPerHost: concurrency * 2, MaxConnsPerHost: concurrency, IdleConnTimeout: time.Minute}
	return &Client{base: base, tr: tr, http: &http.Client{Transport: tr, Timeout: 60 * time.Second}, maxResponse: maxResponse}
}

// Close closes the idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Call sends method path with token as its bearer, body (raw []byte, or
// any other value encoded as JSON; nil for none) and header, decodes a
// 2xx answer into out (unless nil) and returns the status. A 5xx answer
// is an error; a transport error gives status 0.
func (c *Client) Call(ctx context.Context, method, path, token string, body any, header map[string]string, out any) (int, error) {
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
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, c.maxResponse))
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

// Parallel runs fn(i) for i in [0,n) on c workers and returns the first error.
func Parallel(ctx context.Context, n, c int, fn func(i int) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range c {
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

// Percentile sorts d and returns its p-quantile (0 for none).
func Percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[int(float64(len(d)-1)*p)]
}

// MintTokens mints n buyer tokens (users userPrefix0 … userPrefix<n-1>)
// with the admin token, on concurrency workers.
func MintTokens(ctx context.Context, c *Client, admin, userPrefix string, n, concurrency int) ([]string, error) {
	tokens := make([]string, n)
	err := Parallel(ctx, n, concurrency, func(i int) error {
		var tok struct {
			Token string `json:"token"`
		}
		st, err := c.Call(ctx, "POST", "/api/tokens", admin, map[string]any{"user_id": userPrefix + strconv.Itoa(i)}, nil, &tok)
		if err != nil || st != 201 {
			return fmt.Errorf("mint token: status %d: %v", st, err)
		}
		tokens[i] = tok.Token
		return nil
	})
	return tokens, err
}

// Race is what RunRace measured.
type Race struct {
	Lat    []time.Duration // each attempt's latency
	Status []int           // each attempt's HTTP status, -1 for a transport error
	Took   time.Duration   // the whole race
}

// RunRace makes the n attempts of a race on concurrency workers: attempt
// i is one call, timed, that returns its status.
func RunRace(ctx context.Context, n, concurrency int, attempt func(i int) (int, error)) Race {
	r := Race{Lat: make([]time.Duration, n), Status: make([]int, n)}
	start := time.Now()
	Parallel(ctx, n, concurrency, func(i int) error {
		t0 := time.Now()
		st, err := attempt(i)
		r.Lat[i] = time.Since(t0)
		if err != nil && st == 0 {
			st = -1
		}
		r.Status[i] = st
		return nil
	})
	r.Took = time.Since(start)
	return r
}

// ToPay picks, in random order, share of the attempts that were created
// (status 201).
func ToPay(status []int, share float64) []int {
	var toPay []int
	for i := range status {
		if status[i] == 201 {
			toPay = append(toPay, i)
		}
	}
	rand.Shuffle(len(toPay), func(a, b int) { toPay[a], toPay[b] = toPay[b], toPay[a] })
	return toPay[:int(float64(len(toPay))*share)]
}

// Twice lists 0 … n-1 twice each, shuffled: the order in which duplicated
// payment callbacks are sent.
func Twice(n int) []int {
	sends := make([]int, 0, 2*n)
	for k := range n {
		sends = append(sends, k, k)
	}
	rand.Shuffle(len(sends), func(a, b int) { sends[a], sends[b] = sends[b], sends[a] })
	return sends
}

// Headers flattens h (one value a name) for Call.
func Headers(h http.Header) map[string]string {
	hdr := map[string]string{}
	for name := range h {
		hdr[name] = h.Get(name)
	}
	return hdr
}
