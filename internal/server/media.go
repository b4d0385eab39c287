package server

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/iceserver"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/claim"
)

// mountMedia builds the SFU from cfg.Media and mounts WHIP, WHEP and the
// room API. Signaling drives the engine and is the one source of "the
// room went live" (its WHIP sessions); the engine calls nothing back. On
// shutdown the signaling layer ends every session first, then the engine
// closes.
func (s *Server) mountMedia(ctx context.Context, r fiber.Router, events signaling.RoomEvents) error {
	ecfg, err := engineConfig(s.cfg.Media)
	if err != nil {
		return err
	}
	ecfg.Logger = s.log
	ecfg.Metrics = s.metrics
	eng, err := sfu.NewEngine(ecfg)
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	s.addCloser(func(context.Context) error { return eng.Close() })
	s.engine = eng
	if events, err = s.mountRecording(ctx, r, eng, events); err != nil {
		return err
	}

	owners, err := s.roomOwners()
	if err != nil {
		return err
	}
	staticICE, turnURLs := splitICEServers(s.cfg.Media)
	service, err := signaling.New(signaling.Options{
		Engine:               signaling.SFU(eng),
		Rooms:                s.rooms,
		Keys:                 s.rooms,
		Auth:                 s.auth,
		Events:               events,
		Shows:                newShowPublisher(s.back.JetStream, s.cfg.Store.Namespace),
		Tickets:              s.admission,
		Owners:               owners,
		PublicURL:            s.cfg.PublicURL,
		ICEServers:           staticICE,
		MaxBodyBytes:         s.cfg.Media.MaxBodyBytes,
		AnonymousChatDefault: s.cfg.Chat.AnonymousChat,
		TokenTTL:             s.cfg.Auth.TokenTTL,
		Logger:               s.log.With("component", "signaling"),
		Metrics:              s.metrics,
		Admission: signaling.AdmissionLimits{
			Rate:       s.cfg.Media.SessionRate,
			Burst:      s.cfg.Media.SessionBurst,
			Concurrent: s.cfg.Media.SessionsPerAddress,
		},
		ICEConnectTimeout: s.cfg.Media.ICEConnectTimeout,
		Candidates:        candidatePolicy(s.cfg.Media),
		TURN:              signaling.TURNOptions{URLs: turnURLs, Secret: s.cfg.Media.TURNSecret, TTL: s.cfg.Media.TURNCredentialTTL},
		Cascade:           cascadeOptions(s.cfg, s.log, owners),
		Placement:         placementOptions(s.cfg, owners),
	})
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	s.addCloser(service.Close)
	s.media = service
	s.revokers = append(s.revokers, service)
	s.addReadiness("media", service.Ready)
	service.Mount(r)
	return nil
}

// engineConfig builds the engine's networking and capacity settings from
// the media configuration: ICE interfaces (LIVESELL_ICE_INTERFACES=lo keeps
// ICE on loopback), 1:1 NAT IPs, a single UDP mux port or a port range,
// ICE-TCP and the session caps. The caller adds Logger and Metrics.
func engineConfig(m config.MediaConfig) (sfu.Config, error) {
	for _, p := range []struct {
		name string
		v    int
	}{{"udp-port", m.UDPMuxPort}, {"udp-port-min", m.UDPPortMin}, {"udp-port-max", m.UDPPortMax}, {"ice-tcp-port", m.ICETCPPort}} {
		if p.v < 0 || p.v > 65535 {
			return sfu.Config{}, fmt.Errorf("media: %s %d is not a port", p.name, p.v)
		}
	}
	if m.UDPPortMin > m.UDPPortMax {
		return sfu.Config{}, fmt.Errorf("media: udp-port-min %d is above udp-port-max %d", m.UDPPortMin, m.UDPPortMax)
	}
	for _, ip := range m.NAT1To1IPs {
		if net.ParseIP(ip) == nil {
			return sfu.Config{}, fmt.Errorf("media: nat-1to1-ips: %q is not an IP address", ip)
		}
	}
	if m.MaxPublishers < 0 || m.MaxViewers < 0 {
		return sfu.Config{}, fmt.Errorf("media: max-publishers and max-viewers may not be negative")
	}
	return sfu.Config{
		ICEInterfaces: append([]string(nil), m.ICEInterfaces...),
		NAT1To1IPs:    append([]string(nil), m.NAT1To1IPs...),
		UDPMuxPort:    m.UDPMuxPort,
		UDPPortMin:    uint16(m.UDPPortMin),
		UDPPortMax:    uint16(m.UDPPortMax),
		ICETCPPort:    m.ICETCPPort,
		MaxPublishers: m.MaxPublishers,
		MaxViewers:    m.MaxViewers,
	}, nil
}

// roomOwners records this node's rooms in Redis for the other nodes of a
// cluster (signaling/claim), so that WHEP viewers reaching another node are
// redirected here and a room has one publisher. A node without PublicURL
// cannot be redirected to: it claims nothing and redirects nowhere
// (single-node mode), and the result is nil.
func (s *Server) roomOwners() (signaling.RoomOwners, error) {
	if s.cfg.PublicURL == "" {
		s.log.Info("media: no public URL; rooms are not shared with other nodes (single-node mode)")
		return nil, nil
	}
	claims, err := claim.New(claim.Options{
		Redis:     s.back.Redis,
		Namespace: s.cfg.Store.Namespace,
		PublicURL: s.cfg.PublicURL,
		Probe:     claim.HTTPProbe(0), // a crashed holder's claim is taken over at once
		Logger:    s.log.With("component", "claim"),
	})
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	// Closers run in reverse: the signaling service (added later) ends its
	// sessions, releasing their claims, before this stops the refresher and
	// deletes any claim left.
	s.addCloser(claims.Close)
	return claims, nil
}

// candidatePolicy is the remote-candidate filter of the media settings:
// loopback candidates are kept when ICE runs on the loopback interface only
// (tests and load tools on one machine), private ones when configured.
func candidatePolicy(m config.MediaConfig) signaling.CandidatePolicy {
	loopbackOnly := len(m.ICEInterfaces) > 0
	for _, name := range m.ICEInterfaces {
		if name != "lo" && !strings.HasPrefix(name, "lo0") {
			loopbackOnly = false
		}
	}
	return signaling.CandidatePolicy{
		Max:           m.MaxRemoteCandidates,
		AllowPrivate:  m.AllowPrivateCandidates,
		AllowLoopback: loopbackOnly,
	}
}

// splitICEServers separates the ICE servers advertised as they are from
// the turn: servers whose credentials are minted per session with the
// TURN secret (all turn:/turns: URLs without static credentials, when a
// secret is set). The list was checked by config.Validate.
func splitICEServers(m config.MediaConfig) (static, turn []string) {
	for _, u := range m.ICEServers {
		srv, err := iceserver.Parse(u)
		if err == nil && m.TURNSecret != "" && srv.TURN() && srv.Username == "" {
			turn = append(turn, u)
			continue
		}
		static = append(static, u)
	}
	return static, turn
}

// browserICEServers are the ICE servers /web/config.json may tell anyone:
// STUN only. TURN credentials are handed with a session, in the WHIP/WHEP
// answer's Link headers (RFC 9725 section 4.6), never to every visitor.
func browserICEServers(m config.MediaConfig) []string {
	var out []string
	for _, u := range m.ICEServers {
		if srv, err := iceserver.Parse(u); err == nil && !srv.TURN() {
			out = append(out, u)
		}
	}
	return out
}
