// Package sandbox is livesell's built-in test payment provider: a hosted
// checkout page (GET /pay/sandbox/{payment}) with Pay and Fail buttons that
// calls back like a real provider, with a JSON notice signed by
// HMAC-SHA256 over "timestamp\nnonce\nbody" with the sandbox secret.
//
// Callback headers: X-Sandbox-Timestamp (unix seconds), X-Sandbox-Nonce,
// X-Sandbox-Signature (hex HMAC). Body: Notice as JSON.
package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/payment"
)

// Header names of a sandbox callback.
const (
	HeaderTimestamp = "X-Sandbox-Timestamp"
	HeaderNonce     = "X-Sandbox-Nonce"
	HeaderSignature = "X-Sandbox-Signature"
)

// Notice is the body of a sandbox callback.
type Notice struct {
	PaymentID     string `json:"payment_id"`
	TransactionID string `json:"transaction_id"`
	Status        string `json:"status"` // "paid" or "failed"
	AmountMinor   int64  `json:"amount_minor"`
	Currency      string `json:"currency"`
}

// Provider is the sandbox provider.
type Provider struct {
	secret []byte
	window time.Duration
}

// New returns a sandbox provider signing with secret and accepting
// callbacks whose timestamp is within window of now.
func New(secret string, window time.Duration) *Provider {
	return &Provider{secret: []byte(secret), window: window}
}

// Name is "sandbox".
func (p *Provider) Name() string { return "sandbox" }

// Begin points the buyer at the hosted test checkout page. The page's
// token rides in the URL fragment, which browsers never send to a server
// (nor to a proxy's log): the page's script hands it to its buttons.
func (p *Provider) Begin(ctx context.Context, c payment.Charge) (payment.Checkout, error) {
	return payment.Checkout{
		PaymentID:   c.PaymentID,
		Provider:    p.Name(),
		RedirectURL: strings.TrimRight(c.BaseURL, "/") + "/pay/sandbox/" + c.PaymentID + "#t=" + p.PageToken(c.PaymentID),
		ProviderRef: c.PaymentID,
	}, nil
}

// PageToken is the secret that the hosted page's Pay and Fail buttons of
// payment id must present (an HMAC of the id with the sandbox secret: it
// works for that payment only, which can be paid once).
func (p *Provider) PageToken(paymentID string) string {
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte("sandbox-page\n"))
	m.Write([]byte(paymentID))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// CheckPageToken reports whether tok is payment id's page token.
func (p *Provider) CheckPageToken(paymentID, tok string) bool {
	return len(tok) == 32 && hmac.Equal([]byte(tok), []byte(p.PageToken(paymentID)))
}

// Sign returns the headers of a callback with body at t (for the hosted
// page, the load tool and tests).
func (p *Provider) Sign(body []byte, t time.Time, nonce string) http.Header {
	ts := strconv.FormatInt(t.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, hex.EncodeToString(p.mac(ts, nonce, body)))
	h.Set("Content-Type", "application/json")
	return h
}

// Callback builds a signed callback for a payment outcome.
func (p *Provider) Callback(n Notice, t time.Time) (http.Header, []byte) {
	body, _ := json.Marshal(n)
	return p.Sign(body, t, ids.New("n")), body
}

func (p *Provider) mac(ts, nonce string, body []byte) []byte {
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte(ts))
	m.Write([]byte{'\n'})
	m.Write([]byte(nonce))
	m.Write([]byte{'\n'})
	m.Write(body)
	return m.Sum(nil)
}

// Parse verifies the signature, then the timestamp window, then reads the notice.
func (p *Provider) Parse(ctx context.Context, header http.Header, body []byte, now time.Time) (payment.Notice, error) {
	if len(body) > payment.MaxCallbackBytes {
		return payment.Notice{}, fmt.Errorf("%w: body too large", payment.ErrMalformed)
	}
	ts, nonce, sig := header.Get(HeaderTimestamp), header.Get(HeaderNonce), header.Get(HeaderSignature)
	if ts == "" || nonce == "" || sig == "" || len(nonce) > 64 || len(ts) > 20 {
		return payment.Notice{}, fmt.Errorf("%w: missing or oversized signature headers", payment.ErrBadSignature)
	}
	want := p.mac(ts, nonce, body)
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, want) {
		return payment.Notice{}, payment.ErrBadSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !payment.Within(time.Unix(sec, 0), now, p.window) {
		return payment.Notice{}, payment.ErrStale
	}
	var n Notice
	if err := json.Unmarshal(body, &n); err != nil {
		return payment.Notice{}, fmt.Errorf("%w: %w", payment.ErrMalformed, err)
	}
	if !ids.Valid(n.PaymentID) || !ids.Valid(n.TransactionID) || (n.Status != "paid" && n.Status != "failed") {
		return payment.Notice{}, fmt.Errorf("%w: payment_id, transaction_id and status paid|failed are required", payment.ErrMalformed)
	}
	return payment.Notice{
		Provider: p.Name(), PaymentID: n.PaymentID, TransactionID: n.TransactionID,
		Paid: n.Status == "paid", AmountMinor: n.AmountMinor, Currency: strings.ToUpper(n.Currency), At: time.Unix(sec, 0),
	}, nil
}

// Refund succeeds: the sandbox moves no money.
func (p *Provider) Refund(ctx context.Context, r payment.Refund) error { return nil }

// Ack answers {"ok":true} or {"ok":false,"message":…}.
func (p *Provider) Ack(ok bool, message string) (string, []byte) {
	body, _ := json.Marshal(struct {
		OK      bool   `json:"ok"`
		Message string `json:"message,omitempty"`
	}{ok, message})
	return "application/json", body
}
