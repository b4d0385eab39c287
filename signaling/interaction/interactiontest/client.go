// Package interactiontest has the test client of the interaction packages:
// it records the protocol messages a peer receives and waits on them.
package interactiontest

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// Client records what a test peer receives over any transport.
type Client struct {
	T    testing.TB
	Name string
	// Send writes one message to the room (set by the transport).
	Send func([]byte) error

	mu   sync.Mutex
	msgs []map[string]any
	raw  [][]byte
	ch   chan struct{}
	// batches and other messages received on a lossy channel
	lossyBatches, lossyOther int
}

// NewClient returns a client named name (for failure messages).
func NewClient(t testing.TB, name string) *Client {
	return &Client{T: t, Name: name, ch: make(chan struct{}, 1)}
}

// Add records one received message.
func (c *Client) Add(data []byte) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		c.T.Errorf("%s received non-JSON %q: %v", c.Name, data, err)
		return
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.raw = append(c.raw, append([]byte(nil), data...))
	c.mu.Unlock()
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

// AddLossy records one message received on the lossy data channel.
func (c *Client) AddLossy(data []byte) {
	c.mu.Lock()
	if strings.Contains(string(data), `"type":"batch"`) {
		c.lossyBatches++
	} else {
		c.lossyOther++
	}
	c.mu.Unlock()
	c.Add(data)
}

// LossyCounts are the batches and other messages the lossy channel carried.
func (c *Client) LossyCounts() (batches, other int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lossyBatches, c.lossyOther
}

// Raw returns the frames received, as sent.
func (c *Client) Raw() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.raw...)
}

// SendJSON sends v (with "v": 1 unless set).
func (c *Client) SendJSON(v map[string]any) {
	c.T.Helper()
	if _, ok := v["v"]; !ok {
		v["v"] = 1
	}
	b, _ := json.Marshal(v)
	if err := c.Send(b); err != nil {
		c.T.Fatalf("%s send: %v", c.Name, err)
	}
}

// Find returns the first received message matching pred.
func (c *Client) Find(pred func(map[string]any) bool) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if pred(m) {
			return m
		}
	}
	return nil
}

// Count counts the received messages matching pred.
func (c *Client) Count(pred func(map[string]any) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if pred(m) {
			n++
		}
	}
	return n
}

// WaitFor waits until timeout for a message matching pred.
func (c *Client) WaitFor(what string, timeout time.Duration, pred func(map[string]any) bool) map[string]any {
	c.T.Helper()
	var got map[string]any
	c.WaitUntil(what, timeout, func() bool {
		got = c.Find(pred)
		return got != nil
	})
	return got
}

// WaitUntil waits until timeout for cond, tried again on every message.
func (c *Client) WaitUntil(what string, timeout time.Duration, cond func() bool) {
	c.T.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-c.ch:
		case <-deadline.C:
			c.mu.Lock()
			n, last := len(c.msgs), ""
			if n > 0 {
				last = string(c.raw[n-1])
			}
			c.mu.Unlock()
			c.T.Fatalf("%s: timed out after %s waiting for %s (%d messages, last %s)", c.Name, timeout, what, n, last)
		}
	}
}

// Danmaku lists every danmaku received in batches, in order.
func (c *Client) Danmaku() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, m := range c.msgs {
		if m["type"] != "batch" {
			continue
		}
		ds, _ := m["danmaku"].([]any)
		for _, d := range ds {
			out = append(out, d.(map[string]any))
		}
	}
	return out
}

// DanmakuTexts lists the texts of every danmaku received.
func (c *Client) DanmakuTexts() []string {
	var out []string
	for _, d := range c.Danmaku() {
		out = append(out, d["text"].(string))
	}
	return out
}

// DanmakuWith returns the first danmaku received with text, or nil.
func (c *Client) DanmakuWith(text string) map[string]any {
	for _, d := range c.Danmaku() {
		if d["text"] == text {
			return d
		}
	}
	return nil
}

// WaitDanmaku waits until timeout for a danmaku with text and returns it.
func (c *Client) WaitDanmaku(text string, timeout time.Duration) map[string]any {
	c.T.Helper()
	var got map[string]any
	c.WaitUntil("danmaku "+text, timeout, func() bool {
		got = c.DanmakuWith(text)
		return got != nil
	})
	return got
}

// IsType matches messages of type typ.
func IsType(typ string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == typ }
}

// IsError matches error events with code.
func IsError(code string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "error" && m["code"] == code }
}

// Clock is real time plus what a test advanced, so that a test skips a
// rate limit's refill instead of sleeping through it. Pass Clock.Now as
// the hub's clock.
type Clock struct {
	mu  sync.Mutex
	off time.Duration
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}
