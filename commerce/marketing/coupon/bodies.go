package coupon

import (
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

// ParseTemplate reads the body of POST /api/rooms/{room}/coupons (the
// room comes from the path; id and created_at are the server's).
func ParseTemplate(body []byte) (Template, error) {
	var t Template
	if err := apierr.DecodeJSON(body, &t); err != nil {
		return t, err
	}
	t.ID, t.CreatedAt = "", time.Time{}
	return t, nil
}

// PushBody is the body of POST /api/rooms/{room}/coupons/{id}/push.
type PushBody struct {
	// Seconds the coupon is shown with its countdown (0: until it ends,
	// at most an hour).
	Seconds int `json:"seconds"`
}

// ParsePush reads a push body (an empty body is the defaults).
func ParsePush(body []byte) (PushBody, error) {
	var b PushBody
	if len(body) == 0 {
		return b, nil
	}
	if err := apierr.DecodeJSON(body, &b); err != nil {
		return b, err
	}
	if b.Seconds < 0 || b.Seconds > int(MaxPushWindow.Seconds()) {
		return b, apierr.E(apierr.CodeInvalidRequest, "seconds must be between 0 and %d", int(MaxPushWindow.Seconds()))
	}
	return b, nil
}
