package signaling

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

// A room's extra video sources (e.g. a VIP tier's backstage camera) are a
// second WHIP publisher on the room, POST /whip/{room}/sources/{source}
// with the room's push key, watched through POST
// /whep/{room}/sources/{source}. Each source is its own room of the media
// engine (sourceRoom), so the engine learns nothing of tiers: who may
// watch which source is decided here, from the viewer's ticket.

// maxSourceLen bounds a source name.
const maxSourceLen = 32

// validSource reports whether name is 1 to 32 characters of a-z 0-9 _ -.
func validSource(name string) bool {
	if name == "" || len(name) > maxSourceLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// sourceRoom is the media engine's room of roomID's source: "~" is not a
// room-id character, so no real room can take the name.
func sourceRoom(roomID, source string) string {
	if source == "" {
		return roomID
	}
	return roomID + "~" + source
}

// sourcePath is the endpoint path of roomID's source ("" the main).
func sourcePath(k kind, roomID, source string) string {
	if source == "" {
		return "/" + k.String() + "/" + roomID
	}
	return "/" + k.String() + "/" + roomID + "/sources/" + source
}

// sourceParam is the request's checked :source.
func sourceParam(c *fiber.Ctx) (string, error) {
	src := param(c, "source")
	if !validSource(src) {
		return "", apierr.New(apierr.CodeInvalidSource)
	}
	return src, nil
}

// maySee is the source rule of a WHEP offer: the main source needs no
// listing; an extra source of a ticketed room needs a pass that lists it
// (the admin needs none). In a room that sells no access (pass nil) its
// sources are as open as the room.
func maySee(p auth.Principal, pass *auth.Pass, source string) error {
	if source == "" || p.Kind == auth.KindAdmin || pass == nil {
		return nil
	}
	if !slices.Contains(pass.Sources, source) {
		return apierr.New(apierr.CodeSourceNotInPass)
	}
	return nil
}
