// Package risk is the shop's veto on marketing actions: before a coupon is
// claimed (or a draw winner confirmed, a red packet grabbed) the tool asks
// the shop's risk hook, a webhook, whether to allow it. The request is
// signed (HMAC-SHA256 over the timestamp and the body, like the payment
// callbacks the shop already verifies); the answer is {"allow": bool,
// "reason": "..."}. A hook that does not answer in time, or answers
// something else, is treated as FailOpen says.
package risk

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Check is one action to allow or veto.
type Check struct {
	// Action names it: "coupon.claim", "draw.win", "redpacket.grab", ...
	Action string `json:"action"`
	Room   string `json:"room"`
	UserID string `json:"user_id"`
	// Addr is the client address the action came from ("" if unknown).
	Addr string `json:"addr,omitempty"`
	// Subject is what is claimed or won (a coupon id, a draw id, ...).
	Subject string    `json:"subject"`
	At      time.Time `json:"at"`
}

// Verdict is the hook's answer.
type Verdict struct {
	Allow  bool   `json:"allow"`
	Reason string `json:"reason,omitempty"`
}

// Hook decides on checks.
type Hook interface {
	Decide(ctx context.Context, c Check) (Verdict, error)
}

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of t + "." + body>".
const SignatureHeader = "Livesell-Signature"

// Webhook asks the shop's URL.
type Webhook struct {
	URL    string
	Secret string
	// Timeout bounds one call (default 800 ms).
	Timeout time.Duration
	// FailOpen allows the action when the hook cannot answer (default:
	// veto it, with reason "risk_unavailable").
	FailOpen bool
	Client   *http.Client
}

// ErrUnavailable means the hook did not give a usable answer.
var ErrUnavailable = errors.New("risk: hook unavailable")

// Sign is the signature header value of body at t (for the shop's tests).
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Decide posts c to the hook. When the hook fails, the verdict is
// FailOpen's and the error says why (for the logs).
func (w *Webhook) Decide(ctx context.Context, c Check) (Verdict, error) {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 800 * time.Millisecond
	}
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	fail := func(err error) (Verdict, error) {
		if w.FailOpen {
			return Verdict{Allow: true}, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return Verdict{Allow: false, Reason: "risk_unavailable"}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	body, _ := json.Marshal(c)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(w.Secret, time.Now(), body))
	res, err := client.Do(req)
	if err != nil {
		return fail(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("status %d", res.StatusCode))
	}
	var v Verdict
	raw, err := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	if err != nil {
		return fail(err)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return fail(fmt.Errorf("answer: %w", err))
	}
	if len(v.Reason) > 200 {
		v.Reason = v.Reason[:200]
	}
	return v, nil
}
