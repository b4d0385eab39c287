package auth

import "github.com/livesell/livesell/internal/apierr"

// Admit is the one rule of who may see and join a room: anyone a public
// room; a private room only the admin, its anchor (a push key of that room)
// and viewer tokens minted for it. What a private room is — title, state,
// counts, what it presents, its media — follows the same rule. It returns
// missing_token for an anonymous request and room_forbidden for a
// credential that does not admit the room.
func Admit(p Principal, room string, private bool) error {
	switch {
	case !private, p.Kind == KindAdmin, p.Kind == KindPushKey && p.names(room):
		return nil
	case p.Kind == KindAnonymous:
		return apierr.E(apierr.CodeMissingToken, "this room is private: a viewer token is required")
	case !p.Admits(room, true):
		return apierr.E(apierr.CodeRoomForbidden, "the token does not admit this room: private rooms need a viewer token minted for them")
	}
	return nil
}
