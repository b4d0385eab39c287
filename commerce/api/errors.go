package api

import (
	"errors"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/apierr"
)

// errTable maps domain errors to catalogue codes, in one place; detail
// says whether the domain's message is shown (it names the broken rule).
var errTable = []struct {
	err    error
	code   apierr.Code
	detail bool
}{
	{order.ErrInvalid, apierr.CodeInvalidRequest, true},
	{catalog.ErrInvalid, apierr.CodeInvalidProduct, true},
	{catalog.ErrNotFound, apierr.CodeProductNotFound, true},
	{catalog.ErrBelowFloor, apierr.CodePriceBelowFloor, true},
	{catalog.ErrNotInRoom, apierr.CodeProductNotInRoom, false},
	{catalog.ErrInUse, apierr.CodeStateConflict, true},
	{order.ErrNotFound, apierr.CodeOrderNotFound, true},
	{order.ErrUnknownPayment, apierr.CodePaymentNotFound, true},
	{order.ErrSoldOut, apierr.CodeSoldOut, false},
	{order.ErrLimit, apierr.CodeLimitReached, false},
	{order.ErrUnpaidLimit, apierr.CodeUnpaidLimit, false},
	{order.ErrSaleClosed, apierr.CodeSaleNotStarted, false},
	{order.ErrBadState, apierr.CodeStateConflict, true},
	{order.ErrIdempotencyReuse, apierr.CodeIdempotencyKeyReused, false},
	{order.ErrAmountMismatch, apierr.CodeAmountMismatch, true},
	{stock.ErrBelowHeld, apierr.CodeStockBelowHeld, false},
	{stock.ErrUnavailable, apierr.CodeStoreUnavailable, false},
}

// mapErr turns a domain error into a catalogue error (or leaves it for the
// 500 path).
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
			if e.detail {
				return apierr.E(e.code, "%s", err.Error()).WithCause(err)
			}
			return apierr.Wrap(e.code, err)
		}
	}
	return apierr.Internal(err)
}
