package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/notify"
	"github.com/livesell/livesell/commerce/notify/notifytest"
)

var secret = []byte("0123456789abcdef0123456789abcdef-webhook")

func newWebhook(t *testing.T, url string, mod func(*notify.WebhookOptions)) *notify.Webhook {
	t.Helper()
	o := notify.WebhookOptions{URL: url, Secret: secret, Timeout: 2 * time.Second, Attempts: 3, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	w, err := notify.NewWebhook(o)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func msg(id string) notify.Message {
	return notify.Message{ID: id, Kind: "start_1h", Room: "launch", UserID: "u1",
		StartsAt: time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC), Data: map[string]string{"title": "新品发布会", "tier": "vip"}}
}

// TestWebhookSignedDelivery: the receiver verifies the HMAC over timestamp
// and body and reads the message; the idempotency id is in the header and
// the body.
func TestWebhookSignedDelivery(t *testing.T) {
	rcv := notifytest.StartWebhook(t, secret)
	if err := newWebhook(t, rcv.URL, nil).Send(context.Background(), msg("rm_1")); err != nil {
		t.Fatal(err)
	}
	got := rcv.Accepted()
	if len(got) != 1 || got[0].ID != "rm_1" {
		t.Fatalf("accepted %+v", got)
	}
	var body struct {
		ID, Kind, Room string
		UserID         string            `json:"user_id"`
		StartsAt       time.Time         `json:"starts_at"`
		Data           map[string]string `json:"data"`
	}
	if err := json.Unmarshal(got[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.ID != "rm_1" || body.Kind != "start_1h" || body.UserID != "u1" || body.Data["title"] != "新品发布会" || !body.StartsAt.Equal(msg("").StartsAt) {
		t.Fatalf("body %+v", body)
	}
	// A receiver with another secret refuses it, and the refusal is permanent.
	other := notifytest.StartWebhook(t, []byte("another-secret-another-secret-another"))
	err := newWebhook(t, other.URL, nil).Send(context.Background(), msg("rm_2"))
	if !errors.Is(err, notify.ErrPermanent) || other.Refused() != 1 {
		t.Fatalf("wrong secret: err %v, refused %d", err, other.Refused())
	}
}

// TestWebhookRetries: 503 and 429 are retried with the same id until 200;
// a 400 is not retried; the attempts stop at Attempts.
func TestWebhookRetries(t *testing.T) {
	rcv := notifytest.StartWebhook(t, secret)
	rcv.Status = func(id string, n int) int {
		switch {
		case id == "flaky" && n == 1:
			return http.StatusServiceUnavailable
		case id == "flaky" && n == 2:
			return http.StatusTooManyRequests
		case id == "bad":
			return http.StatusBadRequest
		case id == "down":
			return http.StatusBadGateway
		}
		return 0
	}
	w := newWebhook(t, rcv.URL, nil)
	ctx := context.Background()
	if err := w.Send(ctx, msg("flaky")); err != nil {
		t.Fatalf("flaky: %v", err)
	}
	if rcv.Tries("flaky") != 3 || rcv.Count()["flaky"] != 1 {
		t.Fatalf("flaky: tries %d accepted %d", rcv.Tries("flaky"), rcv.Count()["flaky"])
	}
	if err := w.Send(ctx, msg("bad")); !errors.Is(err, notify.ErrPermanent) || rcv.Tries("bad") != 1 {
		t.Fatalf("bad: err %v tries %d", err, rcv.Tries("bad"))
	}
	if err := w.Send(ctx, msg("down")); err == nil || errors.Is(err, notify.ErrPermanent) || rcv.Tries("down") != 3 {
		t.Fatalf("down: err %v tries %d", err, rcv.Tries("down"))
	}
}

// TestWebhookTimeoutAndSize: a receiver slower than the timeout is a
// retryable failure; a body over the limit is refused before any request.
func TestWebhookTimeoutAndSize(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	w := newWebhook(t, slow.URL, func(o *notify.WebhookOptions) { o.Timeout = 100 * time.Millisecond; o.Attempts = 2 })
	start := time.Now()
	err := w.Send(context.Background(), msg("slow"))
	if err == nil || errors.Is(err, notify.ErrPermanent) {
		t.Fatalf("slow receiver: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("timeout not applied: %s", time.Since(start))
	}
	rcv := notifytest.StartWebhook(t, secret)
	big := msg("big")
	big.Data["note"] = strings.Repeat("x", 2000)
	w = newWebhook(t, rcv.URL, func(o *notify.WebhookOptions) { o.MaxBodyBytes = 1024 })
	if err := w.Send(context.Background(), big); !errors.Is(err, notify.ErrPermanent) || rcv.Tries("big") != 0 {
		t.Fatalf("big body: err %v tries %d", err, rcv.Tries("big"))
	}
}

func TestVerifyWebhook(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"x"}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := "v1=" + notify.Sign(secret, ts, body)
	cases := []struct {
		name, ts, sig string
		body          []byte
		ok            bool
	}{
		{"good", ts, good, body, true},
		{"tampered body", ts, good, []byte(`{"id":"y"}`), false},
		{"other timestamp", strconv.FormatInt(now.Unix()+1, 10), good, body, false},
		{"old", strconv.FormatInt(now.Unix()-600, 10), "v1=" + notify.Sign(secret, strconv.FormatInt(now.Unix()-600, 10), body), body, false},
		{"no prefix", ts, strings.TrimPrefix(good, "v1="), body, false},
		{"not hex", ts, "v1=" + strings.Repeat("z", 64), body, false},
		{"empty", "", "", body, false},
	}
	for _, c := range cases {
		err := notify.VerifyWebhook(secret, c.ts, c.sig, c.body, now, 5*time.Minute)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func FuzzVerifyWebhook(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	f.Add(ts, "v1="+notify.Sign(secret, ts, []byte("{}")), []byte("{}"))
	f.Add("-1", "v1=", []byte(nil))
	f.Add("99999999999999999999", "v2=00", []byte("x"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		err := notify.VerifyWebhook(secret, ts, sig, body, now, 5*time.Minute)
		if err == nil && sig != "v1="+notify.Sign(secret, ts, body) {
			t.Fatalf("accepted a signature that is not the HMAC: ts %q sig %q", ts, sig)
		}
	})
}
