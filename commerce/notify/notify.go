// Package notify delivers reminder messages to people through pluggable
// notifiers: a signed webhook to the shop's backend (which relays to SMS or
// app push), e-mail over SMTP and the WeChat subscribe-message API. The
// reminder scheduler (commerce/reminder) decides what is due and when; a
// Notifier only delivers one Message and says whether a failure is worth
// retrying.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one reminder to one person. ID is stable across retries of
// the same message (the idempotency id): a receiver that sees an ID twice
// drops the second.
type Message struct {
	// ID is the idempotency id: one per (user, show, kind).
	ID string `json:"id"`
	// Kind is what the message is about: confirmation, start_24h,
	// start_1h, balance_due, show_cancelled.
	Kind   string `json:"kind"`
	Room   string `json:"room"`
	UserID string `json:"user_id"`
	// StartsAt is the show's start time when known.
	StartsAt time.Time `json:"starts_at,omitzero"`
	// Data are the message's values (title, tier, amount, due_at …),
	// passed to the webhook as is and to templates by name.
	Data map[string]string `json:"data,omitempty"`
	// To is where a personal channel delivers it (e-mail address, WeChat
	// openid), looked up by the scheduler; the webhook does not need it.
	To Recipient `json:"-"`
}

// Recipient is how one user is reached on the personal channels.
type Recipient struct {
	Email        string
	WeChatOpenID string
}

// Notifier delivers messages on one channel.
type Notifier interface {
	// Name is the channel's stable name (webhook, email, wechat), recorded
	// with each delivery so a retry skips the channels already done.
	Name() string
	// Send delivers m once, or returns an error; an error wrapping
	// ErrPermanent will not succeed on retry (no address, refused, too big).
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a failure that retrying will not fix.
var ErrPermanent = errors.New("notify: permanent failure")

// ErrNoAddress is a permanent failure: the user has no address on this
// channel (not an error of the channel: the message is skipped there).
var ErrNoAddress = fmt.Errorf("%w: no address for this user on this channel", ErrPermanent)

// permanent wraps err as a permanent failure.
func permanent(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrPermanent, fmt.Sprintf(format, args...))
}

// Backoff is the wait before retry attempt n (1-based) of a failed send:
// base doubled each attempt, capped at max.
func Backoff(n int, base, max time.Duration) time.Duration {
	if n < 1 {
		n = 1
	}
	d := base
	for i := 1; i < n; i++ {
		d *= 2
		if d >= max || d <= 0 {
			return max
		}
	}
	if d > max {
		return max
	}
	return d
}
