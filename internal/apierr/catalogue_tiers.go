package apierr

import "net/http"

// The codes of the cascade's tiers (origin → regional edge → edge): the
// hop count a relay request carries and its bound. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue.
const (
	// CodeInvalidRelayDepth: the Livesell-Relay-Depth header of a relay
	// request is not a whole number from 1 to 64.
	CodeInvalidRelayDepth Code = "invalid_relay_depth"
	// CodeRelayTooDeep: the relay request's chain of links (its hop count,
	// plus the link this node would have to make for a room it does not
	// have) is longer than cascade-max-depth: a configuration too deep, or
	// a loop of upstreams.
	CodeRelayTooDeep Code = "relay_too_deep"
)

var tiersEntries = []Entry{
	{CodeInvalidRelayDepth, http.StatusBadRequest, "the Livesell-Relay-Depth header must be a whole number from 1 to 64", 0},
	{CodeRelayTooDeep, http.StatusLoopDetected, "this relay would make the cascade deeper than its maximum depth (cascade-max-depth)", 0},
}
