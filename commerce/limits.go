package commerce

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/livesell/livesell/internal/config"
)

// Defaults of the commerce limits that the configuration leaves at zero.
const (
	DefaultMaxUnpaidPerUser    = 20
	DefaultMaxUnpaidPerAddress = 100
	DefaultLiveOrderTTL        = 5 * time.Minute
	DefaultOutboxRetention     = 7 * 24 * time.Hour
	// DefaultLiveMaxDiscount is the largest live discount (percent) of a
	// product without a floor of its own.
	DefaultLiveMaxDiscount = 50
	// MinSecretBytes is the shortest payment or webhook secret accepted.
	MinSecretBytes = 32
)

// limits are the commerce limits in force.
type limits struct {
	MaxUnpaidPerUser    int
	MaxUnpaidPerAddress int
	LiveOrderTTL        time.Duration
	OutboxRetention     time.Duration
	LiveMaxDiscount     int
}

// limitsOf fills cfg's unset limits with the defaults (a negative cap turns
// that cap off).
func limitsOf(cfg config.CommerceConfig) limits {
	l := limits{MaxUnpaidPerUser: cfg.MaxUnpaidPerUser, MaxUnpaidPerAddress: cfg.MaxUnpaidPerAddress,
		LiveOrderTTL: cfg.LiveOrderTTL, OutboxRetention: cfg.OutboxRetention, LiveMaxDiscount: cfg.LiveMaxDiscount}
	switch {
	case l.MaxUnpaidPerUser == 0:
		l.MaxUnpaidPerUser = DefaultMaxUnpaidPerUser
	case l.MaxUnpaidPerUser < 0:
		l.MaxUnpaidPerUser = 0
	}
	switch {
	case l.MaxUnpaidPerAddress == 0:
		l.MaxUnpaidPerAddress = DefaultMaxUnpaidPerAddress
	case l.MaxUnpaidPerAddress < 0:
		l.MaxUnpaidPerAddress = 0
	}
	switch {
	case l.LiveMaxDiscount == 0:
		l.LiveMaxDiscount = DefaultLiveMaxDiscount
	case l.LiveMaxDiscount < 0 || l.LiveMaxDiscount > 99:
		l.LiveMaxDiscount = 0 // no default cap
	}
	if l.LiveOrderTTL <= 0 {
		l.LiveOrderTTL = DefaultLiveOrderTTL
	}
	if l.OutboxRetention <= 0 {
		l.OutboxRetention = DefaultOutboxRetention
	}
	return l
}

// pruneEvery is how often relayed outbox rows are pruned.
func pruneEvery(retention time.Duration) time.Duration {
	return min(max(retention/10, time.Second), time.Hour)
}

// weakSecrets are placeholders that ship in examples and must never sign money.
var weakSecrets = []string{"change-me", "changeme", "secret", "password"}

// CheckSecret refuses a payment or webhook secret that is a known
// placeholder or shorter than MinSecretBytes.
func CheckSecret(name, v string) error {
	for _, w := range weakSecrets {
		if strings.EqualFold(strings.TrimSpace(v), w) {
			return fmt.Errorf("commerce: %s is the placeholder %q; set a random secret of at least %d bytes", name, w, MinSecretBytes)
		}
	}
	if len(v) < MinSecretBytes {
		return fmt.Errorf("commerce: %s must be at least %d bytes (it has %d)", name, MinSecretBytes, len(v))
	}
	return nil
}

// checkSecrets refuses weak secrets of the enabled providers.
func checkSecrets(o Options) error {
	var errs []error
	if o.Sandbox {
		errs = append(errs, CheckSecret("sandbox-secret", o.SandboxSecret))
	}
	if o.Config.StripeSecretKey != "" && o.Config.StripeWebhookKey != "" {
		errs = append(errs, CheckSecret("stripe-webhook-secret", o.Config.StripeWebhookKey))
	}
	return errors.Join(errs...)
}
