package apierr

import (
	"net/http"
	"time"
)

// The codes of paid presale: ticket offers, tiers, entitlements. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue.
const (
	// Admission to a ticketed room (WHEP, the interaction channel, pages).
	CodeTicketRequired         Code = "ticket_required"
	CodeTicketCheckUnavailable Code = "ticket_check_unavailable"
	CodeSourceNotInPass        Code = "source_not_in_pass"
	CodeInvalidSource          Code = "invalid_source"
	CodeInvalidOffer           Code = "invalid_offer"
	CodeInvalidTicketRequest   Code = "invalid_ticket_request"
	CodeInvalidGuestList       Code = "invalid_guest_list"
	CodeInvalidEntitlement     Code = "invalid_entitlement"
	CodeInvalidView            Code = "invalid_view"
	CodePresaleNotFound        Code = "presale_not_found"
	CodeTierNotFound           Code = "tier_not_found"
	CodeTicketNotFound         Code = "ticket_not_found"
	CodeEntitlementNotFound    Code = "entitlement_not_found"
	CodeTierSoldOut            Code = "tier_sold_out"
	CodeTicketLimit            Code = "ticket_limit"
	CodeSalesClosed            Code = "sales_closed"
	CodeTicketState            Code = "ticket_state"
	CodeBalanceClosed          Code = "balance_closed"
	CodeTicketsUnavailable     Code = "tickets_unavailable"
)

var presaleEntries = []Entry{
	{CodeTicketRequired, http.StatusForbidden, "this show is for ticket holders: buy a ticket to watch", 0},
	{CodeTicketCheckUnavailable, http.StatusServiceUnavailable, "your ticket cannot be checked right now; retry shortly", 2 * time.Second},
	{CodeSourceNotInPass, http.StatusForbidden, "your ticket's tier does not include this video source", 0},
	{CodeInvalidSource, http.StatusBadRequest, "a source name is 1 to 32 characters of a-z 0-9 _ -", 0},
	{CodeInvalidOffer, http.StatusBadRequest, "the presale offer is not valid", 0},
	{CodeInvalidTicketRequest, http.StatusBadRequest, "the ticket request is not valid", 0},
	{CodeInvalidGuestList, http.StatusBadRequest, "the guest list cannot be read (CSV of user ids, one per line)", 0},
	{CodeInvalidEntitlement, http.StatusBadRequest, "the entitlement is not valid (user_id and a tier of the offer)", 0},
	{CodeInvalidView, http.StatusBadRequest, "the page view is not valid (visitor id: 8 to 64 letters, digits, - _)", 0},
	{CodePresaleNotFound, http.StatusNotFound, "this room sells no tickets", 0},
	{CodeTierNotFound, http.StatusNotFound, "the offer has no such tier", 0},
	{CodeTicketNotFound, http.StatusNotFound, "no such ticket", 0},
	{CodeEntitlementNotFound, http.StatusNotFound, "no such entitlement", 0},
	{CodeTierSoldOut, http.StatusConflict, "this tier is sold out", 0},
	{CodeTicketLimit, http.StatusConflict, "you hold as many tickets of this tier as one buyer may", 0},
	{CodeSalesClosed, http.StatusConflict, "ticket sales for this tier are not open", 0},
	{CodeTicketState, http.StatusConflict, "the ticket does not allow this in its state", 0},
	{CodeBalanceClosed, http.StatusConflict, "the balance window has closed; the place was released", 0},
	{CodeTicketsUnavailable, http.StatusServiceUnavailable, "tickets cannot be checked now; retry", 2 * time.Second},
}
