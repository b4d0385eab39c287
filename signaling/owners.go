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

// redirectToOwner answers 307 when this node does not serve the viewer
// itself — the room is not live here (cascade off, or no link in time),
// this node drains, or it is at its viewer cap — and another node serves
// the room: the least-loaded of the room's origin and edges (placement.go).
// It reports whether it answered. With no such node a draining node
// refuses (503 draining, Retry-After) and otherwise the request is served
// here (a viewer then gets 409 not_live, or 503 capacity, and retries); a
// failed lookup is logged and counts as no node.
//
// roomID is the media engine's room (a source's own, see sourceRoom) and
// path the request's, kept in the Location.
func (cl cluster) redirectToOwner(c *fiber.Ctx, k kind, roomID, path string) (bool, error) {
	s := cl.s
	p := placement{s}
	draining, full := s.drain.active(), p.full()
	if !draining && !full && (s.opt.Owners == nil || s.opt.Engine.RoomLive(roomID)) {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), ownerTimeout)
	defer cancel()
	base := p.target(ctx, roomID)
	if base == "" {
		if draining {
			return true, apierr.New(apierr.CodeDraining)
		}
		return false, nil
	}
	loc := base + path
	if q := redirectQuery(c, s.opt.Auth, path); q != "" {
		loc += "?" + q
	}
	s.metrics.redirect(k.String())
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderLocation, loc)
	return true, c.SendStatus(fiber.StatusTemporaryRedirect)
}
