package notify

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

// The headers of a webhook delivery.
const (
	// HeaderID carries the message's idempotency id.
	HeaderID = "X-Livesell-Id"
	// HeaderTimestamp is the unix time (seconds) the request was signed at.
	HeaderTimestamp = "X-Livesell-Timestamp"
	// HeaderSignature is "v1=" and the hex HMAC-SHA256, keyed by the shared
	// secret, of the timestamp, a '.', and the body.
	HeaderSignature = "X-Livesell-Signature"
)

// WebhookOptions configure the webhook notifier.
type WebhookOptions struct {
	// URL is the shop backend's endpoint (absolute http(s) URL).
	URL string
	// Secret keys the HMAC-SHA256 signature (at least 32 bytes).
	Secret []byte
	// Timeout bounds one attempt (default 5s).
	Timeout time.Duration
	// Attempts is how many times one Send tries (default 3), waiting
	// Backoff(n, RetryBase, RetryMax) between attempts.
	Attempts  int
	RetryBase time.Duration // default 500ms
	RetryMax  time.Duration // default 10s
	// MaxBodyBytes refuses (permanently) a message whose JSON body is
	// larger (default 16 KiB).
	MaxBodyBytes int
	// Client is the HTTP client (default: a new one with Timeout).
	Client *http.Client
	// Now is the clock of the timestamp (default time.Now).
	Now func() time.Time
}

// Webhook posts each message as signed JSON to the shop's backend.
type Webhook struct {
	opt WebhookOptions
}

// NewWebhook returns the webhook notifier, with defaults filled in.
func NewWebhook(opt WebhookOptions) (*Webhook, error) {
	if opt.URL == "" {
		return nil, errors.New("notify: webhook url is empty")
	}
	if len(opt.Secret) < 32 {
		return nil, errors.New("notify: webhook secret must be at least 32 bytes")
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 3
	}
	if opt.RetryBase <= 0 {
		opt.RetryBase = 500 * time.Millisecond
	}
	if opt.RetryMax <= 0 {
		opt.RetryMax = 10 * time.Second
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 16 << 10
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: opt.Timeout}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Webhook{opt: opt}, nil
}

// Name is "webhook".
func (w *Webhook) Name() string { return "webhook" }

// webhookBody is the JSON a shop receives.
type webhookBody struct {
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	Room     string            `json:"room"`
	UserID   string            `json:"user_id"`
	StartsAt *time.Time        `json:"starts_at,omitempty"`
	Data     map[string]string `json:"data,omitempty"`
}

// Send posts m, retrying a network error, a timeout, 408, 429 and 5xx with
// backoff; any other 4xx is permanent.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	b := webhookBody{ID: m.ID, Kind: m.Kind, Room: m.Room, UserID: m.UserID, Data: m.Data}
	if !m.StartsAt.IsZero() {
		t := m.StartsAt.UTC()
		b.StartsAt = &t
	}
	body, err := json.Marshal(b)
	if err != nil {
		return permanent("webhook body: %v", err)
	}
	if len(body) > w.opt.MaxBodyBytes {
		return permanent("webhook body of %d bytes is over the %d-byte limit", len(body), w.opt.MaxBodyBytes)
	}
	var last error
	for n := 1; n <= w.opt.Attempts; n++ {
		if n > 1 {
			t := time.NewTimer(Backoff(n-1, w.opt.RetryBase, w.opt.RetryMax))
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("notify: webhook: %w (last: %w)", ctx.Err(), last)
			case <-t.C:
			}
		}
		last = w.attempt(ctx, m.ID, body)
		if last == nil || errors.Is(last, ErrPermanent) {
			return last
		}
	}
	return last
}

func (w *Webhook) attempt(ctx context.Context, id string, body []byte) error {
	actx, cancel := context.WithTimeout(ctx, w.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, w.opt.URL, bytes.NewReader(body))
	if err != nil {
		return permanent("webhook request: %v", err)
	}
	ts := strconv.FormatInt(w.opt.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "livesell-notify/1")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, "v1="+Sign(w.opt.Secret, ts, body))
	resp, err := w.opt.Client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return fmt.Errorf("notify: webhook answered %d", resp.StatusCode)
	default:
		return permanent("webhook answered %d", resp.StatusCode)
	}
}

// Sign is the hex HMAC-SHA256 of timestamp "." body under secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// ErrBadSignature is returned by VerifyWebhook for a request that was not
// signed with the secret, or not recently.
var ErrBadSignature = errors.New("notify: bad webhook signature")

// VerifyWebhook checks a received delivery the way a shop's backend should:
// the signature header must be a v1 HMAC of timestamp and body under
// secret, and the timestamp within window of now. It is what the tests'
// receiver runs, and a reference for shops.
func VerifyWebhook(secret []byte, timestamp, signature string, body []byte, now time.Time, window time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || len(timestamp) > 12 {
		return fmt.Errorf("%w: timestamp %q", ErrBadSignature, timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > window || d < -window {
		return fmt.Errorf("%w: timestamp outside the %s window", ErrBadSignature, window)
	}
	const prefix = "v1="
	if len(signature) != len(prefix)+2*sha256.Size || signature[:len(prefix)] != prefix {
		return fmt.Errorf("%w: not a v1 signature", ErrBadSignature)
	}
	got, err := hex.DecodeString(signature[len(prefix):])
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrBadSignature)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}
