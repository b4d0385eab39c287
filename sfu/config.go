package sfu

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Config configures an Engine. The zero value is usable: it gathers on every
// interface, uses ephemeral UDP ports, has no capacity limit and logs to
// slog.Default().
type Config struct {
	// ICEInterfaces restricts ICE gathering to these network interfaces
	// (for example []string{"lo"} in tests). Empty means all interfaces.
	// Loopback candidates are included when the list is non-empty.
	ICEInterfaces []string
	// NAT1To1IPs are public IPs advertised as host candidates for a 1:1 NAT.
	NAT1To1IPs []string
	// UDPMuxPort, when > 0, serves every session on this single UDP port.
	UDPMuxPort int
	// UDPPortMin and UDPPortMax bound the ephemeral UDP ports used when
	// UDPMuxPort is 0. Both zero means the OS chooses.
	UDPPortMin, UDPPortMax uint16
	// ICETCPPort, when > 0, listens for ICE-TCP on this port as a fallback
	// for networks that block UDP.
	ICETCPPort int
	// MaxPublishers and MaxViewers cap the sessions of this node; 0 means
	// unlimited. Beyond the cap Publish/Subscribe fail with ErrCapacity.
	MaxPublishers, MaxViewers int
	// NoKeyframeCache turns the keyframe cache off: a joining viewer then
	// waits for a fresh keyframe from the publisher (one request per layer
	// per 500 ms, shared by all joiners), as on an SFU without a cache.
	// For measurements; the cache is on by default.
	NoKeyframeCache bool
	// Logger receives the engine's logs; nil means slog.Default().
	Logger *slog.Logger
	// Metrics, when non-nil, receives the engine's livesell_sfu_* collectors.
	Metrics prometheus.Registerer
	// OnRoomLive, when non-nil, is called with true when a room gets a
	// publisher and with false when that publisher is gone. It is called
	// without engine locks held, from the goroutine that caused the change.
	OnRoomLive func(room string, live bool)
}
