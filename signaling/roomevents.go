package signaling

import (
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
