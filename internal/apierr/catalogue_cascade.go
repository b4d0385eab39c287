package apierr

import "net/http"

// The codes of the origin → edge cascade across nodes. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue.
const (
	// CodeRelayUnavailable: this node does not feed edges (no node
	// credential configured, or it is shutting down).
	CodeRelayUnavailable Code = "relay_unavailable"
)

var cascadeEntries = []Entry{
	{CodeRelayUnavailable, http.StatusServiceUnavailable, "this node does not relay rooms to other nodes", 0},
}
