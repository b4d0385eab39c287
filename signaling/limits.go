package signaling

import "golang.org/x/time/rate"

// Rate limits of the signaling layer. Failed credentials are limited by
// the one failure limiter of internal/auth.
const (
	patchRate  = 10 // PATCH requests per second per session, sustained
	patchBurst = 40
)

func newPatchLimiter() *rate.Limiter { return rate.NewLimiter(patchRate, patchBurst) }
