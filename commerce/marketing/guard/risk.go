package guard

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Question is what the risk hook is asked: may user (from addr) have
// action on target? Action is "draw.win", "draw.claim", "redpacket.grab"
// or "gift.send".
type Question struct {
	Action      string `json:"action"`
	UserID      string `json:"user_id"`
	Addr        string `json:"addr,omitempty"`
	Room        string `json:"room,omitempty"`
	Target      string `json:"target"`
	AmountMinor int64  `json:"amount_minor,omitempty"`
}

// Verdict is the hook's answer.
type Verdict struct {
	Allow  bool   `json:"allow"`
	Reason string `json:"reason,omitempty"`
}

// Risk asks the shop's risk webhook. With no URL every action is allowed.
// The body is Question as JSON, signed with HMAC-SHA256 over
// "timestamp\nbody" (headers X-Livesell-Timestamp, X-Livesell-Signature);
// the answer is Verdict as JSON. A hook that fails or does not answer in
// time allows the action when FailOpen, else vetoes it.
type Risk struct {
	URL      string
	Secret   []byte
	Timeout  time.Duration
	FailOpen bool
	Client   *http.Client
	Log      *slog.Logger
}

// Ask returns the hook's verdict on q.
func (r *Risk) Ask(ctx context.Context, q Question) Verdict {
	if r == nil || r.URL == "" {
		return Verdict{Allow: true}
	}
	v, err := r.ask(ctx, q)
	if err != nil {
		if r.Log != nil {
			r.Log.Warn("risk hook failed", "action", q.Action, "target", q.Target, "fail_open", r.FailOpen, "err", err)
		}
		return Verdict{Allow: r.FailOpen, Reason: "risk hook unavailable"}
	}
	return v
}

func (r *Risk) ask(ctx context.Context, q Question) (Verdict, error) {
	body, err := json.Marshal(q)
	if err != nil {
		return Verdict{}, err
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(body))
	if err != nil {
		return Verdict{}, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Livesell-Timestamp", ts)
	req.Header.Set("X-Livesell-Signature", Sign(r.Secret, ts, body))
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return Verdict{}, fmt.Errorf("guard: risk hook: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return Verdict{}, fmt.Errorf("guard: risk hook: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Verdict{}, fmt.Errorf("guard: risk hook answered %d", resp.StatusCode)
	}
	var v Verdict
	if err := json.Unmarshal(raw, &v); err != nil {
		return Verdict{}, fmt.Errorf("guard: risk hook answer: %w", err)
	}
	return v, nil
}

// Sign is the hex HMAC-SHA256 of "ts\nbody" with secret, as the risk hook
// receives it in X-Livesell-Signature.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'\n'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
