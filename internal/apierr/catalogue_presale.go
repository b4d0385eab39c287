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
)

var presaleEntries = []Entry{
	{CodeTicketRequired, http.StatusForbidden, "this show is for ticket holders: buy a ticket to watch", 0},
	{CodeTicketCheckUnavailable, http.StatusServiceUnavailable, "your ticket cannot be checked right now; retry shortly", 2 * time.Second},
	{CodeSourceNotInPass, http.StatusForbidden, "your ticket's tier does not include this video source", 0},
	{CodeInvalidSource, http.StatusBadRequest, "a source name is 1 to 32 characters of a-z 0-9 _ -", 0},
}
