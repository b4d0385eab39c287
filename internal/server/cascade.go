package server

import (
	"log/slog"
	"strings"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/claim"
)

// cascadeOptions wires the origin → edge cascade: the node credential, the
// switch, the tiers (an upstream regional edge, the longest chain), and
// the room claims (which also announce the rooms this node relays). A
// single node (no claims) has no cascade.
func cascadeOptions(cfg config.Config, log *slog.Logger, owners signaling.RoomOwners) signaling.CascadeOptions {
	opt := signaling.CascadeOptions{
		Enabled:    cfg.Media.Cascade,
		NodeSecret: cfg.Media.NodeSecret,
		Upstream:   strings.TrimRight(cfg.Media.CascadeUpstream, "/"),
		MaxDepth:   cfg.Media.CascadeMaxDepth,
	}
	if c, ok := owners.(*claim.Claims); ok {
		opt.Announcer = c
	}
	if opt.Enabled && (owners == nil || opt.NodeSecret == "") {
		log.Warn("media: cascade is on but this node has no public URL or node secret; viewers of other nodes' rooms are redirected")
	}
	if opt.Upstream != "" && !opt.Enabled {
		log.Warn("media: cascade-upstream is set but cascade is off; it is not used")
	}
	return opt
}

// Engine is the node's media plane (nil before it is mounted): its cascade
// counters (RelayStats) and DropRelays for operators' tools and tests.
func (s *Server) Engine() *sfu.Engine { return s.engine }

// placementOptions publishes this node's load record beside its room
// claims and caps its viewers at max-viewers, past which new viewers go to
// a less-loaded node serving the room. A single node (no claims) has none.
func placementOptions(cfg config.Config, owners signaling.RoomOwners) signaling.PlacementOptions {
	opt := signaling.PlacementOptions{MaxViewers: cfg.Media.MaxViewers}
	if c, ok := owners.(*claim.Claims); ok {
		opt.Loads = c
	}
	return opt
}
