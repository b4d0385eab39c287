package signaling

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/sfu"
)

// The cascade carries a room beyond the node of its publisher (the room's
// origin): another node that receives a WHEP request for the room links
// once to the origin (POST /relay/{room}, authenticated with the node
// credential) and becomes a local source of the room for its own viewers
// (an edge). The 307 to the origin stays as the fallback: cascade off, or
// no link could be made in time. An edge may link through a regional edge
// instead of the origin (tiers: cascade_tier.go).

// CascadeOptions make this node an edge for rooms published on other nodes.
type CascadeOptions struct {
	// Enabled makes this node link to the origin of a room it is asked for;
	// off, viewers are redirected (307) to the origin.
	Enabled bool
	// NodeSecret is the credential nodes present to each other; the
	// Authenticator checks it on /relay (auth.Options.NodeSecret, the same
	// value). Empty: this node neither relays nor links.
	NodeSecret string
	// Announcer records the rooms this node relays (*claim.Claims); nil
	// announces nothing.
	Announcer RelayAnnouncer
	// AnnounceTTL is how long an announcement lives without a refresh;
	// 0 means 10s.
	AnnounceTTL time.Duration
	// Linger is how long a link stays up with no viewer on this node; 0
	// means 30s.
	Linger time.Duration
	// BackoffMin and BackoffMax bound the wait between link attempts;
	// 0 means 200ms and 5s.
	BackoffMin, BackoffMax time.Duration
	// JoinWait bounds how long a viewer's WHEP request waits for the first
	// link before it is redirected instead; 0 means 5s.
	JoinWait time.Duration
	// Upstream is the base URL of a regional edge this node links to for
	// rooms published elsewhere, instead of their origin
	// (cascade-upstream); empty: the origin (cascade_tier.go).
	Upstream string
	// MaxDepth bounds the chain of links a room may take
	// (cascade-max-depth); 0 means 3.
	MaxDepth int
	// UpstreamRetry is how long a link that fell back to the origin stays
	// there before it goes back to the upstream (once the upstream's
	// /healthz answers); 0 means 30s.
	UpstreamRetry time.Duration
}

// RelayAnnouncer records which rooms an edge relays, with a TTL
// (*claim.Claims).
type RelayAnnouncer interface {
	// Announce records that this node relays room, for ttl.
	Announce(ctx context.Context, room string, ttl time.Duration) error
	// Withdraw removes this node's announcement for room.
	Withdraw(ctx context.Context, room string) error
}

// RelayEngine is what an engine needs for the cascade (*sfu.Engine through
// SFU): feeding edges and being fed by an origin.
type RelayEngine interface {
	// Relay answers an edge's offer with every layer and the audio of a room.
	Relay(ctx context.Context, r sfu.RelayRequest) (MediaSession, error)
	// Source links a room to its origin and makes the link its local publisher.
	Source(ctx context.Context, r sfu.SourceRequest) (MediaSession, error)
}

func (e sfuEngine) Relay(ctx context.Context, r sfu.RelayRequest) (MediaSession, error) {
	s, err := e.Engine.Relay(ctx, r)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (e sfuEngine) Source(ctx context.Context, r sfu.SourceRequest) (MediaSession, error) {
	s, err := e.Engine.Source(ctx, r)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (o *CascadeOptions) defaults() {
	if o.AnnounceTTL <= 0 {
		o.AnnounceTTL = 10 * time.Second
	}
	if o.Linger <= 0 {
		o.Linger = 30 * time.Second
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = 200 * time.Millisecond
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 5 * time.Second
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = o.BackoffMin
	}
	if o.JoinWait <= 0 {
		o.JoinWait = 5 * time.Second
	}
	o.tierDefaults()
}

// relayEngine returns the engine's cascade side, or nil when it has none.
// relayEndpoint is the origin's side of the cascade: it answers edges'
// links and keeps their sessions with the Service's.
type relayEndpoint struct{ *Service }

func (s relayEndpoint) relayEngine() RelayEngine {
	re, _ := s.opt.Engine.(RelayEngine)
	return re
}

// relay answers POST /relay/{room}: an edge node's offer for every layer
// and the audio of a room published or relayed here; for a room neither,
// this node first links for it (a regional edge, cascade_tier.go).
func (s relayEndpoint) relay(c *fiber.Ctx) error {
	re := s.relayEngine()
	if re == nil || s.opt.Cascade.NodeSecret == "" {
		return apierr.New(apierr.CodeRelayUnavailable)
	}
	rm, err := s.loadRoom(c)
	if err != nil {
		return err
	}
	if _, err := s.opt.Auth.Request(c, auth.Node, rm.ID); err != nil {
		return err
	}
	depth, err := relayDepth(c.Get(RelayDepthHeader))
	if err != nil {
		return err
	}
	body, err := requests{s.Service}.readBody(c, ContentTypeSDP)
	if err != nil {
		return err
	}
	if _, err := ValidateOffer(body, s.opt.MaxBodyBytes); err != nil {
		return apierr.E(apierr.CodeInvalidSDP, "%s", detail(err)).WithCause(err)
	}
	from := strings.Clone(c.Get(RelayNodeHeader))
	if err := s.edges.admitRelay(rm.ID, depth, from); err != nil {
		return err
	}
	ctx, cancel := s.signalCtx()
	defer cancel()
	sess, err := re.Relay(ctx, sfu.RelayRequest{Room: rm.ID, OfferSDP: string(body), SourceWait: s.sourceWait()})
	if err != nil {
		return engineError(err)
	}
	if !s.watchRelay(rm.ID, sess) {
		return apierr.New(apierr.CodeRelayUnavailable)
	}
	tier := s.edges.tier(rm.ID)
	s.log.Info("relaying to an edge", "room", rm.ID, "edge", auth.ClientAddr(c).String(), "depth", depth, "tier", tier)
	c.Set(RelayTierHeader, strconv.Itoa(tier))
	if s.opt.PublicURL != "" {
		c.Set(RelayNodeHeader, s.opt.PublicURL)
	}
	c.Set(fiber.HeaderContentType, ContentTypeSDP)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).SendString(sess.AnswerSDP())
}

// sourceWait is how long a relay of a room this node relays outlives the
// end of its link, waiting for the next: long enough for a relink.
func (s relayEndpoint) sourceWait() time.Duration {
	o := s.opt.Cascade
	return max(10*time.Second, 2*o.BackoffMax+o.JoinWait)
}

// watchRelay ends a relay session of roomID with the service, and when its
// ICE does not connect within ICEConnectTimeout; while it lasts it counts
// as a viewer of the room's link. It reports false (and closes the
// session) when the service is closing.
func (s relayEndpoint) watchRelay(roomID string, sess MediaSession) bool {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		sess.Close()
		return false
	}
	s.wg.Add(1)
	s.closeMu.Unlock()
	s.edges.relaying(roomID, 1)
	go func() {
		defer s.wg.Done()
		defer s.edges.relaying(roomID, -1)
		var connected <-chan struct{}
		if cs, ok := sess.(interface{ Connected() <-chan struct{} }); ok {
			connected = cs.Connected()
		}
		timer := time.NewTimer(s.opt.ICEConnectTimeout)
		defer timer.Stop()
		for {
			select {
			case <-sess.Done():
				return
			case <-s.stop:
				sess.Close()
				return
			case <-connected:
				connected = nil
				timer.Stop()
			case <-timer.C:
				if connected != nil {
					sess.Close()
					return
				}
			}
		}
	}()
	return true
}
