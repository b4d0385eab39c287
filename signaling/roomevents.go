package signaling

import (
	"github.com/gofiber/fiber/v2"
	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/auth"
)

// RoomEvents is what the WHIP/WHEP layer tells the interaction layer (chat,
// likes, product cards, online counts). The server wires an implementation
// in; a nil RoomEvents is allowed and ignored.
type RoomEvents interface {
	// ViewerJoined records a viewer's presence in room (every WHEP session
	// counts, with or without a data channel) and returns the function that
	// records its departure; it is called exactly once.
	ViewerJoined(room string, who auth.Identity) (left func())
	// AttachDataChannel hands over a data channel labelled "livesell" that a
	// viewer or the anchor opened on its media session. The interaction layer
	// owns it from then on.
	AttachDataChannel(room string, who auth.Identity, anchor bool, dc *webrtc.DataChannel)
	// RoomLive reports that room's publisher went live (true) or away (false).
	RoomLive(room string, live bool)
}

// ReferredEvents is optionally implemented by RoomEvents: a viewer whose
// WHEP offer named where it came from (query "ref": a share link's
// referral id or the embed's host page; else the HTTP Referer) is joined
// with that referrer, for the after-show report.
type ReferredEvents interface {
	ViewerJoinedFrom(room string, who auth.Identity, referrer string) (left func())
}

// viewerReferrer is what a WHEP offer reports of where its viewer came
// from; interaction cleans it (length, control characters, URL queries).
func viewerReferrer(c *fiber.Ctx) string {
	ref := c.Query("ref")
	if ref == "" {
		ref = c.Get(fiber.HeaderReferer)
	}
	if len(ref) > 1024 {
		ref = ref[:1024]
	}
	return ref
}
