package apierr

import (
	"net/http"
	"time"
)

// The codes of a node's drain before it stops (signaling/drain.go). Declare
// each code here with its row below; TestCatalogueDocumented keeps
// docs/errors.md and the OpenAPI enum equal to the whole catalogue.
const (
	// CodeDraining: this node is draining before it stops: /readyz fails,
	// and a request it cannot send to another node (a publisher, a viewer
	// of a room no other node serves) is refused; the same URL, retried
	// after Retry-After, reaches another node through the ingress.
	CodeDraining Code = "draining"
)

var drainEntries = []Entry{
	{CodeDraining, http.StatusServiceUnavailable, "this node is draining before it stops; try again", 2 * time.Second},
}
