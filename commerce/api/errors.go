package api

import (
	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/internal/errmap"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/apierr"
)

// errTable maps domain errors to catalogue codes, in one place; the
// domain's message is shown (it names the broken rule) unless the row is
// Quiet.
var errTable = []errmap.Code{
	{Err: order.ErrInvalid, Code: apierr.CodeInvalidRequest},
	{Err: catalog.ErrInvalid, Code: apierr.CodeInvalidProduct},
	{Err: catalog.ErrNotFound, Code: apierr.CodeProductNotFound},
	{Err: catalog.ErrBelowFloor, Code: apierr.CodePriceBelowFloor},
	{Err: catalog.ErrNotInRoom, Code: apierr.CodeProductNotInRoom, Quiet: true},
	{Err: catalog.ErrInUse, Code: apierr.CodeStateConflict},
	{Err: order.ErrNotFound, Code: apierr.CodeOrderNotFound},
	{Err: order.ErrUnknownPayment, Code: apierr.CodePaymentNotFound},
	{Err: order.ErrSoldOut, Code: apierr.CodeSoldOut, Quiet: true},
	{Err: order.ErrLimit, Code: apierr.CodeLimitReached, Quiet: true},
	{Err: order.ErrUnpaidLimit, Code: apierr.CodeUnpaidLimit, Quiet: true},
	{Err: order.ErrSaleClosed, Code: apierr.CodeSaleNotStarted, Quiet: true},
	{Err: order.ErrBadState, Code: apierr.CodeStateConflict},
	{Err: order.ErrIdempotencyReuse, Code: apierr.CodeIdempotencyKeyReused, Quiet: true},
	{Err: order.ErrAmountMismatch, Code: apierr.CodeAmountMismatch},
	{Err: stock.ErrBelowHeld, Code: apierr.CodeStockBelowHeld, Quiet: true},
	{Err: stock.ErrUnavailable, Code: apierr.CodeStoreUnavailable, Quiet: true},
}

// mapErr turns a domain error into a catalogue error (or leaves it for the
// 500 path).
func mapErr(err error) error { return errmap.Map(err, errTable) }
