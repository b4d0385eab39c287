package review

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Webhook headers: the time of signing (unix seconds) and the signature,
// "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body).
const (
	HeaderTimestamp = "X-Livesell-Timestamp"
	HeaderSignature = "X-Livesell-Signature"
	HeaderEvent     = "X-Livesell-Event"
)

// Sign is the signature of body sent at ts with secret.
func Sign(secret []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook's signature (for receivers and tests): the
// timestamp within window of now, the signature in constant time.
func Verify(secret []byte, header http.Header, body []byte, now time.Time, window time.Duration) error {
	ts, err := strconv.ParseInt(header.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("review: webhook timestamp: %w", err)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > window || d < -window {
		return fmt.Errorf("review: webhook timestamp outside %s", window)
	}
	if !hmac.Equal([]byte(header.Get(HeaderSignature)), []byte(Sign(secret, ts, body))) {
		return fmt.Errorf("review: webhook signature mismatch")
	}
	return nil
}

// deliver posts body to the webhook, up to 5 attempts with backoff; a 2xx
// answer is delivery.
func (s *Service) deliver(ctx context.Context, body []byte) error {
	wait := 500 * time.Millisecond
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
		}
		ts := s.opts.Now().Unix()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.WebhookURL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("review: webhook: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(HeaderEvent, "show.report")
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(HeaderSignature, Sign(s.opts.WebhookSecret, ts, body))
		resp, err := s.opts.HTTPClient.Do(req)
		if err != nil {
			last = err
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		last = fmt.Errorf("answered %d", resp.StatusCode)
	}
	return fmt.Errorf("review: webhook: %w", last)
}
