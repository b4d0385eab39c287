// Package datachannel carries room interaction over WebRTC data channels:
// it adapts a Pion data channel to interaction's Channel and joins it to
// the room, so that package interaction knows nothing of Pion.
package datachannel

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/signaling/interaction"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// Data channel labels.
const (
	// Label is the reliable, ordered channel carrying the whole protocol.
	Label = "livesell"
	// LossyLabel is an optional unordered channel without retransmits
	// (ordered=false, maxRetransmits=0) that receives batches instead of
	// Label once open: a lost batch is superseded by the next one.
	LossyLabel = "livesell-lossy"
)

// Back-pressure thresholds of a data channel's send buffer.
const (
	highWater = 1 << 20
	lowWater  = 256 << 10
	// lossyHighWater: above it, batches on the lossy channel are dropped.
	lossyHighWater = 128 << 10
	// joinWait bounds a join, and a lossy channel's wait for its reliable one.
	joinWait = 5 * time.Second
)

// Hub is what the adapter needs of the interaction hub.
type Hub interface {
	Join(ctx context.Context, req interaction.JoinRequest) (*interaction.Session, error)
	JoinLossy(ctx context.Context, room, user string, lc interaction.LossyChannel) (*interaction.Session, func(), error)
}

// Attacher joins data channels to their rooms; it implements the data
// channel part of signaling.RoomEvents. Close waits for the joins it
// started.
type Attacher struct {
	hub    Hub
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// New returns an Attacher joining channels to hub.
func New(hub Hub, log *slog.Logger) *Attacher {
	if log == nil {
		log = slog.Default()
	}
	a := &Attacher{hub: hub, log: log.With("component", "datachannel")}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	return a
}

// Close stops joining and waits for joins under way.
func (a *Attacher) Close(context.Context) error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.cancel()
	a.wg.Wait()
	return nil
}

// started counts one more job under way, unless the Attacher is closed.
func (a *Attacher) started() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.wg.Add(1)
	return true
}

// AttachDataChannel joins a viewer's or the anchor's data channel to room.
// The "livesell" channel carries the whole protocol; a "livesell-lossy"
// channel of the same user receives the batches instead, when it is open.
func (a *Attacher) AttachDataChannel(room string, who auth.Identity, anchor bool, dc *webrtc.DataChannel) {
	if dc.Label() == LossyLabel {
		a.whenOpen(dc, func() { a.attachLossy(room, who, dc) })
		return
	}
	// Messages are handled once the session exists; until then (a few ms
	// after open) the channel's reader waits, so none is lost.
	var sess atomic.Pointer[interaction.Session]
	joined := make(chan struct{})
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		select {
		case <-joined:
		case <-a.ctx.Done():
			return
		}
		if s := sess.Load(); s != nil {
			s.Handle(msg.Data)
		}
	})
	a.whenOpen(dc, func() {
		defer close(joined)
		if s := a.join(room, who, anchor, dc); s != nil {
			sess.Store(s)
		}
	})
}

// whenOpen runs fn, owned by the Attacher, once dc is open.
func (a *Attacher) whenOpen(dc *webrtc.DataChannel, fn func()) {
	run := func() {
		if !a.started() {
			return
		}
		defer a.wg.Done()
		fn()
	}
	if dc.ReadyState() == webrtc.DataChannelStateOpen {
		go run()
		return
	}
	dc.OnOpen(run)
}

func (a *Attacher) join(room string, who auth.Identity, anchor bool, dc *webrtc.DataChannel) *interaction.Session {
	ctx, cancel := context.WithTimeout(a.ctx, joinWait)
	defer cancel()
	s, err := a.hub.Join(ctx, interaction.JoinRequest{Room: room, Who: who, Anchor: anchor, IP: remoteIP(dc), Channel: newConn(dc), Pair: true})
	if err != nil {
		code, msg := protocol.CodeOf(err), "cannot join the room"
		var pe *protocol.Error
		if errors.As(err, &pe) {
			msg = pe.Message
		}
		dc.SendText(string(protocol.AppendError(nil, code, msg, "")))
		a.log.Info("data channel refused", "room", room, "user", who.UserID, "err", err)
		dc.Close()
		return nil
	}
	dc.OnClose(s.Close)
	if dc.ReadyState() != webrtc.DataChannelStateOpen {
		// Closed while joining.
		s.Close()
	}
	return s
}

func (a *Attacher) attachLossy(room string, who auth.Identity, dc *webrtc.DataChannel) {
	ctx, cancel := context.WithTimeout(a.ctx, joinWait)
	defer cancel()
	s, detach, err := a.hub.JoinLossy(ctx, room, who.UserID, lossy{dc: dc})
	if err != nil {
		a.log.Info("lossy channel without a reliable one, closed", "room", room, "user", who.UserID, "err", err)
		dc.Close()
		return
	}
	dc.OnClose(detach)
	// Inbound messages on the lossy channel are handled too.
	dc.OnMessage(func(msg webrtc.DataChannelMessage) { s.Handle(msg.Data) })
}

// conn adapts a Pion data channel to interaction.Channel.
type conn struct {
	dc  *webrtc.DataChannel
	low chan struct{}
}

func newConn(dc *webrtc.DataChannel) *conn {
	c := &conn{dc: dc, low: make(chan struct{}, 1)}
	dc.SetBufferedAmountLowThreshold(lowWater)
	dc.OnBufferedAmountLow(func() {
		select {
		case c.low <- struct{}{}:
		default:
		}
	})
	return c
}

// Send waits while the channel's buffer is over its high-water mark, until
// the buffer drains below the low-water mark or ctx is done.
func (c *conn) Send(ctx context.Context, data []byte) error {
	for c.dc.BufferedAmount() > highWater {
		select {
		case <-c.low:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return c.dc.Send(data)
}

func (c *conn) Close() { c.dc.Close() }

// lossy is the optional batch channel.
type lossy struct{ dc *webrtc.DataChannel }

func (l lossy) SendLossy(data []byte) interaction.LossyResult {
	switch {
	case l.dc.ReadyState() != webrtc.DataChannelStateOpen:
		return interaction.LossyUnavailable
	case l.dc.BufferedAmount() > lossyHighWater:
		return interaction.LossyDropped
	case l.dc.Send(data) != nil:
		return interaction.LossyUnavailable
	}
	return interaction.LossySent
}

// remoteIP is the peer's address on the selected ICE candidate pair, for
// per-address limits ("" for none).
func remoteIP(dc *webrtc.DataChannel) string {
	sctp := dc.Transport()
	if sctp == nil || sctp.Transport() == nil || sctp.Transport().ICETransport() == nil {
		return ""
	}
	pair, err := sctp.Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Remote == nil {
		return ""
	}
	ip := net.ParseIP(pair.Remote.Address)
	if ip == nil || ip.IsLoopback() {
		return "" // loopback peers have no per-address limit
	}
	return ip.String()
}
