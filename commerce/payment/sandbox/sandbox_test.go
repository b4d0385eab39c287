package sandbox_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/payment/sandbox"
)

func TestParse(t *testing.T) {
	p := sandbox.New("secret", 5*time.Minute)
	other := sandbox.New("other", 5*time.Minute)
	now := time.Now()
	n := sandbox.Notice{PaymentID: "pay_1", TransactionID: "tx_1", Status: "paid", AmountMinor: 100, Currency: "usd"}
	h, body := p.Callback(n, now)
	hOther, _ := other.Callback(n, now)
	hStale, bodyStale := p.Callback(n, now.Add(-6*time.Minute))
	bad := sandbox.Notice{PaymentID: "pay_1", TransactionID: "tx_1", Status: "maybe"}
	hBad, bodyBad := p.Callback(bad, now)
	cases := []struct {
		name   string
		header http.Header
		body   []byte
		want   error
	}{
		{"good", h, body, nil},
		{"other secret", hOther, body, payment.ErrBadSignature},
		{"tampered", h, append(body[:len(body)-1:len(body)-1], ' ', '}'), payment.ErrBadSignature},
		{"no headers", http.Header{}, body, payment.ErrBadSignature},
		{"stale", hStale, bodyStale, payment.ErrStale},
		{"bad status", hBad, bodyBad, payment.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := p.Parse(context.Background(), c.header, c.body, now)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v; want %v", err, c.want)
			}
			if c.want == nil && (!got.Paid || got.PaymentID != "pay_1" || got.Currency != "USD" || got.AmountMinor != 100) {
				t.Fatalf("notice %+v", got)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	p := sandbox.New("secret", 5*time.Minute)
	now := time.Unix(1_800_000_000, 0)
	h, body := p.Callback(sandbox.Notice{PaymentID: "pay_1", TransactionID: "tx_1", Status: "paid", AmountMinor: 1, Currency: "USD"}, now)
	f.Add(body, h.Get(sandbox.HeaderTimestamp), h.Get(sandbox.HeaderNonce), h.Get(sandbox.HeaderSignature))
	f.Add([]byte(`{}`), "", "", "")
	f.Fuzz(func(t *testing.T, body []byte, ts, nonce, sig string) {
		h := http.Header{}
		h.Set(sandbox.HeaderTimestamp, ts)
		h.Set(sandbox.HeaderNonce, nonce)
		h.Set(sandbox.HeaderSignature, sig)
		n, err := p.Parse(context.Background(), h, body, now)
		if err == nil && (n.PaymentID == "" || n.TransactionID == "") {
			t.Fatalf("accepted notice without ids: %+v", n)
		}
		// A correctly signed body must parse or be rejected as malformed, never panic.
		sh := p.Sign(body, now, "n1")
		if _, err := p.Parse(context.Background(), sh, body, now); err != nil && !errors.Is(err, payment.ErrMalformed) && !errors.Is(err, payment.ErrBadSignature) {
			t.Fatalf("signed body: %v", err)
		}
	})
}
