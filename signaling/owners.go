package signaling

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/signaling/claim"
)

// RoomOwners records which node holds each room's publisher, so that a
// cluster has one publisher per room and viewers reaching another node are
// redirected to it (*claim.Claims). Nil runs single-node.
type RoomOwners interface {
	// Claim makes this node the room's owner; an error wrapping
	// claim.ErrHeld means another node is.
	Claim(ctx context.Context, room string) (claim.Hold, error)
	// Release undoes one successful Claim.
	Release(ctx context.Context, room string, h claim.Hold) error
	// OwnerURL is the base URL of the node holding room when that is
	// another node, else "".
	OwnerURL(ctx context.Context, room string) (string, error)
	// Lost is closed once another node takes the claim h holds.
	Lost(room string, h claim.Hold) <-chan struct{}
}

// cluster keeps a Service's rooms single-publisher across nodes (claims)
// and sends viewers to the node that holds a room.
type cluster struct{ s *Service }

// ownerTimeout bounds one ownership call to Redis.
const ownerTimeout = 2 * time.Second

// claimRoom makes this node the owner of roomID before it publishes there:
// 409 room_busy when another node's publisher holds it, 503 when ownership
// cannot be checked (two publishers in one room would follow).
// The returned release func undoes the claim (a no-op in single-node mode);
// lost is closed if another node takes the claim meanwhile (nil in
// single-node mode).
func (cl cluster) claimRoom(roomID string) (release func(), lost <-chan struct{}, err error) {
	if cl.s.opt.Owners == nil {
		return func() {}, nil, nil
	}
	ctx, cancel := context.WithTimeout(cl.s.ctx, ownerTimeout)
	defer cancel()
	h, err := cl.s.opt.Owners.Claim(ctx, roomID)
	if err != nil {
		if errors.Is(err, claim.ErrHeld) {
			return nil, nil, apierr.E(apierr.CodeRoomBusy, "the room already has a live publisher on another node").WithCause(err)
		}
		cl.s.log.Warn("room claim failed", "room", roomID, "err", err)
		return nil, nil, apierr.Wrap(apierr.CodeOwnershipUnavailable, err)
	}
	return func() { cl.releaseRoom(roomID, h) }, cl.s.opt.Owners.Lost(roomID, h), nil
}

// releaseRoom undoes a claimRoom. It runs after the session ended, also
// during Close, so it does not use the service's context.
func (cl cluster) releaseRoom(roomID string, h claim.Hold) {
	ctx, cancel := context.WithTimeout(context.Background(), ownerTimeout)
	defer cancel()
	if err := cl.s.opt.Owners.Release(ctx, roomID, h); err != nil {
		cl.s.log.Warn("room claim not released; it expires by itself", "room", roomID, "err", err)
	}
}

// redirectToOwner answers 307 to the node holding roomID's publisher when
// this node does not have it and another node does; it reports whether it
// answered. A failed lookup is logged and the request is served here (a
// viewer then gets 409 not_live and retries).
//
// roomID is the media engine's room (a source's own, see sourceRoom) and
// path the request's, kept in the Location.
func (cl cluster) redirectToOwner(c *fiber.Ctx, k kind, roomID, path string) (bool, error) {
	if cl.s.opt.Owners == nil || cl.s.opt.Engine.RoomLive(roomID) {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), ownerTimeout)
	defer cancel()
	base, err := cl.s.opt.Owners.OwnerURL(ctx, roomID)
	if err != nil {
		cl.s.log.Warn("room owner lookup failed", "room", roomID, "err", err)
		return false, nil
	}
	if base == "" {
		return false, nil
	}
	loc := base + path
	if q := c.Request().URI().QueryString(); len(q) > 0 {
		loc += "?" + string(q)
	}
	cl.s.metrics.redirect(k.String())
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderLocation, loc)
	return true, c.SendStatus(fiber.StatusTemporaryRedirect)
}
