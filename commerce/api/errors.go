package api

import (
	"errors"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/apierr"
)

// errTable maps domain errors to API errors, in one place.
var errTable = []struct {
	err error
	api func(msg string) *apierr.Error
}{
	{order.ErrInvalid, func(m string) *apierr.Error { return apierr.BadRequest("invalid_request", "%s", m) }},
	{catalog.ErrInvalid, func(m string) *apierr.Error { return apierr.BadRequest("invalid_product", "%s", m) }},
	{catalog.ErrNotFound, func(m string) *apierr.Error { return apierr.NotFound("product_not_found", "%s", m) }},
	{order.ErrNotFound, func(m string) *apierr.Error { return apierr.NotFound("order_not_found", "%s", m) }},
	{order.ErrUnknownPayment, func(m string) *apierr.Error { return apierr.NotFound("payment_not_found", "%s", m) }},
	{order.ErrSoldOut, func(m string) *apierr.Error { return apierr.Conflict("sold_out", "the product is sold out") }},
	{order.ErrLimit, func(m string) *apierr.Error {
		return apierr.Conflict("limit_reached", "the per-user purchase limit is reached")
	}},
	{order.ErrSaleClosed, func(m string) *apierr.Error {
		return apierr.Conflict("sale_not_started", "the flash sale has not started")
	}},
	{order.ErrBadState, func(m string) *apierr.Error { return apierr.Conflict("bad_state", "%s", m) }},
	{order.ErrIdempotencyReuse, func(m string) *apierr.Error {
		return apierr.Unprocessable("idempotency_key_reused", "the Idempotency-Key was used with another request")
	}},
	{order.ErrAmountMismatch, func(m string) *apierr.Error { return apierr.BadRequest("amount_mismatch", "%s", m) }},
	{stock.ErrBelowHeld, func(m string) *apierr.Error {
		return apierr.Conflict("stock_below_held", "the new stock is below the units orders hold")
	}},
}

// mapErr turns a domain error into an API error (or leaves it for the 500 path).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return err
	}
	for _, e := range errTable {
		if errors.Is(err, e.err) {
			return e.api(err.Error()).WithCause(err)
		}
	}
	return apierr.Internal(err)
}
