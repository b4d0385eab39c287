package stripe_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v84/webhook"

	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/payment/stripe"
)

const secret = "whsec_test"

func event(typ, pi, payID string, amount int64) []byte {
	return []byte(fmt.Sprintf(`{"id":"evt_1","object":"event","type":%q,"api_version":"2020-01-01","data":{"object":{"id":%q,"object":"payment_intent","amount":%d,"amount_received":%d,"currency":"usd","status":"succeeded","metadata":{"payment_id":%q}}}}`, typ, pi, amount, amount, payID))
}

func sign(body []byte, t time.Time, key string) http.Header {
	h := http.Header{}
	h.Set("Stripe-Signature", fmt.Sprintf("t=%d,v1=%s", t.Unix(), hex.EncodeToString(webhook.ComputeSignature(t, body, key))))
	return h
}

func TestParse(t *testing.T) {
	p := stripe.New(stripe.Options{WebhookSecret: secret, Window: 5 * time.Minute})
	now := time.Now()
	ok := event("payment_intent.succeeded", "pi_1", "pay_1", 1999)
	cases := []struct {
		name   string
		body   []byte
		header http.Header
		want   error
	}{
		{"good", ok, sign(ok, now, secret), nil},
		{"failed payment", event("payment_intent.payment_failed", "pi_1", "pay_1", 1999), sign(event("payment_intent.payment_failed", "pi_1", "pay_1", 1999), now, secret), nil},
		{"wrong secret", ok, sign(ok, now, "whsec_other"), payment.ErrBadSignature},
		{"tampered body", []byte(strings.Replace(string(ok), "1999", "1", 2)), sign(ok, now, secret), payment.ErrBadSignature},
		{"no header", ok, http.Header{}, payment.ErrBadSignature},
		{"stale", ok, sign(ok, now.Add(-10*time.Minute), secret), payment.ErrStale},
		{"from the future", ok, sign(ok, now.Add(10*time.Minute), secret), payment.ErrStale},
		{"other event", event("charge.refunded", "pi_1", "pay_1", 1), sign(event("charge.refunded", "pi_1", "pay_1", 1), now, secret), payment.ErrIgnored},
		{"no payment id", event("payment_intent.succeeded", "pi_1", "", 1), sign(event("payment_intent.succeeded", "pi_1", "", 1), now, secret), payment.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := p.Parse(context.Background(), c.header, c.body, now)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v; want %v", err, c.want)
			}
			if c.want == nil && (n.PaymentID != "pay_1" || n.TransactionID != "pi_1" || n.AmountMinor != 1999 || n.Currency != "USD") {
				t.Fatalf("notice %+v", n)
			}
			if c.name == "good" && !n.Paid || c.name == "failed payment" && n.Paid {
				t.Fatalf("paid = %v", n.Paid)
			}
		})
	}
}

func TestBeginCreatesPaymentIntent(t *testing.T) {
	var form string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form = string(b)
		if r.URL.Path != "/v1/payment_intents" || r.Header.Get("Authorization") != "Bearer sk_test_x" || r.Header.Get("Idempotency-Key") == "" {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"pi_9","object":"payment_intent","client_secret":"pi_9_secret_abc","amount":500,"currency":"usd"}`)
	}))
	defer srv.Close()
	p := stripe.New(stripe.Options{SecretKey: "sk_test_x", APIURL: srv.URL})
	co, err := p.Begin(context.Background(), payment.Charge{PaymentID: "pay_9", OrderID: "ord_9", AmountMinor: 500, Currency: "USD", Title: "Tea"})
	if err != nil {
		t.Fatal(err)
	}
	if co.ClientSecret != "pi_9_secret_abc" || co.ProviderRef != "pi_9" {
		t.Fatalf("checkout %+v", co)
	}
	if !strings.Contains(form, "amount=500") || !strings.Contains(form, "currency=usd") || !strings.Contains(form, "metadata[payment_id]=pay_9") && !strings.Contains(form, "metadata%5Bpayment_id%5D=pay_9") {
		t.Fatalf("form sent: %s", form)
	}
}

func FuzzParse(f *testing.F) {
	p := stripe.New(stripe.Options{WebhookSecret: secret, Window: 5 * time.Minute})
	now := time.Unix(1_800_000_000, 0)
	body := event("payment_intent.succeeded", "pi_1", "pay_1", 1999)
	f.Add(body, sign(body, now, secret).Get("Stripe-Signature"))
	f.Add([]byte(`{}`), "t=1,v1=00")
	f.Add([]byte(`{"type":"payment_intent.succeeded","data":{"object":null}}`), "")
	f.Add(body, "t=1800000000,"+sign(body, now.Add(-time.Hour), secret).Get("Stripe-Signature"))
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		h := http.Header{}
		h.Set("Stripe-Signature", sig)
		n, err := p.Parse(context.Background(), h, body, now)
		if err == nil && (n.PaymentID == "" || n.TransactionID == "") {
			t.Fatalf("accepted notice without ids: %+v", n)
		}
		if err == nil && strings.Count(","+strings.ReplaceAll(h.Get("Stripe-Signature"), " ", ""), ",t=") != 1 {
			t.Fatalf("accepted a header without exactly one t=: %q", sig)
		}
	})
}

// TestParseRefusesTwoTimestamps is the window bypass of issue #11.6: a fresh
// t= in front of an hour-old signed one.
func TestParseRefusesTwoTimestamps(t *testing.T) {
	p := stripe.New(stripe.Options{WebhookSecret: secret, Window: 5 * time.Minute})
	now := time.Now()
	body := event("payment_intent.succeeded", "pi_1", "pay_1", 1999)
	old := now.Add(-time.Hour)
	v1 := hex.EncodeToString(webhook.ComputeSignature(old, body, secret))
	for _, header := range []string{
		fmt.Sprintf("t=%d,t=%d,v1=%s", now.Unix(), old.Unix(), v1),
		fmt.Sprintf("t=%d,v1=%s,t=%d", now.Unix(), v1, old.Unix()),
		fmt.Sprintf("t=%d, t=%d,v1=%s", old.Unix(), now.Unix(), v1),
		fmt.Sprintf("t=%d,v1=%s", old.Unix(), v1),
		fmt.Sprintf("v1=%s", v1),
	} {
		h := http.Header{}
		h.Set("Stripe-Signature", header)
		if _, err := p.Parse(context.Background(), h, body, now); err == nil {
			t.Fatalf("%s: accepted an hour-old webhook", header)
		} else if !errors.Is(err, payment.ErrBadSignature) && !errors.Is(err, payment.ErrStale) {
			t.Fatalf("%s: err %v", header, err)
		}
	}
}
