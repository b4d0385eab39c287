package risk

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWebhook: the hook gets a signed check and its verdict is returned;
// a slow, failing or garbled hook vetoes (or allows, with FailOpen) and
// says it was unavailable.
func TestWebhook(t *testing.T) {
	const secret = "risk-secret"
	var mode atomic.Value // "", "slow", "broken", "garbled"
	mode.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(SignatureHeader)
		ts := strings.TrimPrefix(strings.Split(sig, ",")[0], "t=")
		want := Sign(secret, time.Unix(parseInt(ts), 0), body)
		if !hmac.Equal([]byte(sig), []byte(want)) {
			http.Error(w, "bad signature", 401)
			return
		}
		var c Check
		json.Unmarshal(body, &c)
		switch mode.Load() {
		case "slow":
			time.Sleep(300 * time.Millisecond)
		case "broken":
			http.Error(w, "down", 503)
			return
		case "garbled":
			io.WriteString(w, "not json")
			return
		}
		if c.UserID == "bot" {
			io.WriteString(w, `{"allow":false,"reason":"device farm"}`)
			return
		}
		io.WriteString(w, `{"allow":true}`)
	}))
	defer srv.Close()
	ctx := context.Background()
	w := &Webhook{URL: srv.URL, Secret: secret, Timeout: 100 * time.Millisecond}
	check := Check{Action: "coupon.claim", Room: "r1", UserID: "ann", Subject: "cp_1", At: time.Now()}
	if v, err := w.Decide(ctx, check); err != nil || !v.Allow {
		t.Fatalf("ann: %+v %v", v, err)
	}
	bot := check
	bot.UserID = "bot"
	if v, err := w.Decide(ctx, bot); err != nil || v.Allow || v.Reason != "device farm" {
		t.Fatalf("bot: %+v %v", v, err)
	}
	for _, m := range []string{"slow", "broken", "garbled"} {
		mode.Store(m)
		if v, err := w.Decide(ctx, check); !errors.Is(err, ErrUnavailable) || v.Allow || v.Reason != "risk_unavailable" {
			t.Fatalf("unavailable hook (fail closed): %+v %v", v, err)
		}
		open := *w
		open.FailOpen = true
		if v, err := open.Decide(ctx, check); !errors.Is(err, ErrUnavailable) || !v.Allow {
			t.Fatalf("unavailable hook (fail open): %+v %v", v, err)
		}
		mode.Store("")
	}
	wrong := &Webhook{URL: srv.URL, Secret: "not-the-secret"}
	if v, err := wrong.Decide(ctx, check); err == nil || v.Allow {
		t.Fatalf("a badly signed check was answered: %+v %v", v, err)
	}
}

func parseInt(s string) int64 {
	var n int64
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n
}
