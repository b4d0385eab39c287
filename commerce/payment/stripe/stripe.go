// Package stripe is the Stripe payment provider: Begin creates a
// PaymentIntent (stripe-go/v84) and returns its client secret for Stripe.js;
// callbacks are Stripe webhooks, verified with Stripe's signature scheme
// (Stripe-Signature: t=…,v1=… — HMAC-SHA256 of "t.body" with the endpoint
// secret) and a timestamp window, then read as payment_intent.succeeded or
// payment_intent.payment_failed events.
package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v84"
	"github.com/stripe/stripe-go/v84/webhook"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/payment"
)

// Provider is the Stripe provider.
type Provider struct {
	client        *stripego.Client
	webhookSecret string
	window        time.Duration
}

// Options configure the provider.
type Options struct {
	SecretKey     string
	WebhookSecret string
	Window        time.Duration
	// APIURL overrides Stripe's API base URL (tests on loopback).
	APIURL string
}

// New returns a Stripe provider.
func New(o Options) *Provider {
	var opts []stripego.ClientOption
	if o.APIURL != "" {
		api := stripego.GetBackendWithConfig(stripego.APIBackend, &stripego.BackendConfig{URL: stripego.String(o.APIURL), MaxNetworkRetries: stripego.Int64(0)})
		opts = append(opts, stripego.WithBackends(&stripego.Backends{API: api, Connect: api, Uploads: api, MeterEvents: api}))
	}
	return &Provider{client: stripego.NewClient(o.SecretKey, opts...), webhookSecret: o.WebhookSecret, window: o.Window}
}

// Name is "stripe".
func (p *Provider) Name() string { return "stripe" }

// Begin creates a PaymentIntent for the charge; the client confirms it with
// Stripe.js using the returned client secret.
func (p *Provider) Begin(ctx context.Context, c payment.Charge) (payment.Checkout, error) {
	params := &stripego.PaymentIntentCreateParams{
		Amount:      stripego.Int64(c.AmountMinor),
		Currency:    stripego.String(strings.ToLower(c.Currency)),
		Description: stripego.String(c.Title),
		Metadata:    map[string]string{"payment_id": c.PaymentID, "order_id": c.OrderID},
		AutomaticPaymentMethods: &stripego.PaymentIntentCreateAutomaticPaymentMethodsParams{
			Enabled: stripego.Bool(true),
		},
	}
	params.SetIdempotencyKey("livesell-" + c.PaymentID)
	pi, err := p.client.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return payment.Checkout{}, fmt.Errorf("stripe: create payment intent: %w", err)
	}
	return payment.Checkout{PaymentID: c.PaymentID, Provider: p.Name(), ClientSecret: pi.ClientSecret, ProviderRef: pi.ID}, nil
}

// Parse verifies the Stripe-Signature header over the raw body, then the
// timestamp window, then reads the event.
func (p *Provider) Parse(ctx context.Context, header http.Header, body []byte, now time.Time) (payment.Notice, error) {
	if len(body) > payment.MaxCallbackBytes {
		return payment.Notice{}, fmt.Errorf("%w: body too large", payment.ErrMalformed)
	}
	sig := header.Get("Stripe-Signature")
	if sig == "" || len(sig) > 4096 || p.webhookSecret == "" {
		return payment.Notice{}, fmt.Errorf("%w: missing Stripe-Signature", payment.ErrBadSignature)
	}
	// Exactly one t=: stripe-go signs and checks the last one, so a header
	// with two could pass a fresh one to one check and an old one to the other.
	ts, ok := timestamp(sig)
	if !ok {
		return payment.Notice{}, fmt.Errorf("%w: Stripe-Signature needs exactly one t=", payment.ErrBadSignature)
	}
	// stripe-go's own tolerance check (too old), then the window both ways.
	if err := webhook.ValidatePayloadWithTolerance(body, sig, p.webhookSecret, p.window); err != nil {
		if errors.Is(err, webhook.ErrTooOld) {
			return payment.Notice{}, fmt.Errorf("%w: %w", payment.ErrStale, err)
		}
		return payment.Notice{}, fmt.Errorf("%w: %w", payment.ErrBadSignature, err)
	}
	if !payment.Within(ts, now, p.window) {
		return payment.Notice{}, payment.ErrStale
	}
	var ev stripego.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.Data == nil {
		return payment.Notice{}, fmt.Errorf("%w: not a Stripe event", payment.ErrMalformed)
	}
	var paid bool
	switch ev.Type {
	case "payment_intent.succeeded":
		paid = true
	case "payment_intent.payment_failed":
	default:
		return payment.Notice{}, fmt.Errorf("%w: event type %s", payment.ErrIgnored, ev.Type)
	}
	var pi stripego.PaymentIntent
	if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
		return payment.Notice{}, fmt.Errorf("%w: payment intent: %w", payment.ErrMalformed, err)
	}
	payID := pi.Metadata["payment_id"]
	if !ids.Valid(payID) || !ids.Valid(pi.ID) {
		return payment.Notice{}, fmt.Errorf("%w: payment intent without our payment_id", payment.ErrMalformed)
	}
	amount := pi.AmountReceived
	if !paid || amount == 0 {
		amount = pi.Amount
	}
	return payment.Notice{
		Provider: p.Name(), PaymentID: payID, TransactionID: pi.ID, Paid: paid,
		AmountMinor: amount, Currency: strings.ToUpper(string(pi.Currency)), At: ts,
	}, nil
}

// timestamp reads the one t= of a Stripe-Signature header, written exactly
// as stripe-go reads it; false when there is none, more than one (also
// counting " t=", which stripe-go would skip) or it is not a number.
func timestamp(header string) (time.Time, bool) {
	var ts time.Time
	n := 0
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		if strings.TrimSpace(k) != "t" {
			continue
		}
		n++
		sec, err := strconv.ParseInt(v, 10, 64)
		if k != "t" || err != nil {
			return time.Time{}, false
		}
		ts = time.Unix(sec, 0)
	}
	return ts, n == 1
}

// Refund refunds the PaymentIntent, idempotently per order and transaction.
func (p *Provider) Refund(ctx context.Context, r payment.Refund) error {
	pi := r.TransactionID
	if pi == "" {
		pi = r.ProviderRef
	}
	if pi == "" {
		return fmt.Errorf("stripe: refund of order %s: no payment intent", r.OrderID)
	}
	params := &stripego.RefundCreateParams{PaymentIntent: stripego.String(pi), Amount: stripego.Int64(r.AmountMinor)}
	params.SetIdempotencyKey("livesell-refund-" + r.OrderID + "-" + pi)
	if _, err := p.client.V1Refunds.Create(ctx, params); err != nil {
		return fmt.Errorf("stripe: refund: %w", err)
	}
	return nil
}

// Ack answers {"received":true}; Stripe retries anything but a 2xx.
func (p *Provider) Ack(ok bool, message string) (string, []byte) {
	body, _ := json.Marshal(struct {
		Received bool   `json:"received"`
		Message  string `json:"message,omitempty"`
	}{ok, message})
	return "application/json", body
}
