package auth

import "context"

// Pass is what a viewer's ticket for a ticketed room allows.
type Pass struct {
	// Tier is the ticket's tier ("standard", "vip", ...).
	Tier string
	// Sources are the extra video sources of the show this tier may watch
	// (e.g. "backstage"); the main source needs no listing.
	Sources []string
	// Comment says whether the holder may send danmaku (a room can keep
	// comments to ticket holders or to some tiers).
	Comment bool
	// Highlight marks the holder's danmaku (VIP).
	Highlight bool
}

// Tickets answers, on the fast path of every WHEP offer, interaction join
// and page load, whether room sells access (ticketed) and, if so, what
// user's entitlement allows (ok false: no ticket). Implementations cache
// and drop the cache on entitlement events; an error means the answer is
// unknown (the caller refuses with a retryable error, never lets in).
type Tickets interface {
	Pass(ctx context.Context, room, user string) (ticketed bool, p Pass, ok bool, err error)
}

// NoTickets is Tickets for a node that sells none: every room is open.
type NoTickets struct{}

// Pass reports room as not ticketed.
func (NoTickets) Pass(context.Context, string, string) (bool, Pass, bool, error) {
	return false, Pass{}, false, nil
}
