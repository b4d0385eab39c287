// Package payment is the one entry to payment providers: an order is paid
// by Begin-ning a checkout with a Provider and, later, by the provider's
// signed callback, which the provider's Parse verifies (signature and
// timestamp window first) and turns into a Notice. Providers live in
// subpackages: sandbox (built in), stripe, wechatpay.
package payment

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Sentinel errors of callback parsing and refunds, checked with errors.Is.
var (
	// ErrBadSignature means the callback is not signed by the provider.
	ErrBadSignature = errors.New("payment: bad signature")
	// ErrStale means the callback's timestamp is outside the accepted window.
	ErrStale = errors.New("payment: timestamp outside the window")
	// ErrMalformed means the callback cannot be read.
	ErrMalformed = errors.New("payment: malformed callback")
	// ErrIgnored means a well-signed notice of a kind we do not act on.
	ErrIgnored = errors.New("payment: notice ignored")
	// ErrNotConfigured means the provider lacks its credentials.
	ErrNotConfigured = errors.New("payment: provider not configured")
)

// MaxCallbackBytes bounds a callback body.
const MaxCallbackBytes = 64 << 10

// Charge is what a provider is asked to collect.
type Charge struct {
	PaymentID   string
	OrderID     string
	Title       string
	AmountMinor int64
	Currency    string
	// ReturnURL is where a hosted page sends the buyer afterwards (optional).
	ReturnURL string
	// BaseURL is this node's public URL, for hosted pages and notify URLs.
	BaseURL string
}

// Checkout is what the client needs to pay: one of RedirectURL (a hosted
// page), QRCode (content of a QR code to scan) or ClientSecret (for the
// provider's client SDK).
type Checkout struct {
	PaymentID    string `json:"payment_id"`
	Provider     string `json:"provider"`
	RedirectURL  string `json:"redirect_url,omitempty"`
	QRCode       string `json:"qr_code,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	// ProviderRef is the provider's own id of the attempt (kept, not sent).
	ProviderRef string `json:"-"`
}

// Notice is a verified statement from a provider about one transaction.
type Notice struct {
	Provider string
	// PaymentID is our payment id the provider echoed back.
	PaymentID string
	// TransactionID is the provider's id; each is applied at most once.
	TransactionID string
	// Paid is true for a successful payment; false for a failure.
	Paid        bool
	AmountMinor int64
	Currency    string
	At          time.Time
}

// Refund asks a provider to return a payment.
type Refund struct {
	OrderID       string
	PaymentID     string
	TransactionID string
	ProviderRef   string
	AmountMinor   int64
	Currency      string
	Reason        string
}

// Provider is one payment service.
type Provider interface {
	// Name is the provider's path segment: sandbox, stripe, wechatpay.
	Name() string
	// Begin starts collecting c.
	Begin(ctx context.Context, c Charge) (Checkout, error)
	// Parse verifies a callback (signature, then timestamp window against
	// now) and returns its notice; ErrIgnored for kinds not acted on.
	Parse(ctx context.Context, header http.Header, body []byte, now time.Time) (Notice, error)
	// Refund returns a payment; it must be idempotent per OrderID+TransactionID.
	Refund(ctx context.Context, r Refund) error
	// Ack is the body of the answer to a callback, in the form the provider
	// expects: ok tells it to stop retrying; message explains a refusal.
	Ack(ok bool, message string) (contentType string, body []byte)
}

// Within reports whether t is within window of now, either way.
func Within(t, now time.Time, window time.Duration) bool {
	d := now.Sub(t)
	if d < 0 {
		d = -d
	}
	return d <= window
}
