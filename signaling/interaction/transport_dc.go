package interaction

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/auth"
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
	dcHighWater = 1 << 20
	dcLowWater  = 256 << 10
	// lossyHighWater: above it, batches on the lossy channel are dropped.
	lossyHighWater = 128 << 10
)

// dcConn adapts a Pion data channel to Conn.
type dcConn struct {
	dc  *webrtc.DataChannel
	low chan struct{}
}

func newDCConn(dc *webrtc.DataChannel) *dcConn {
	c := &dcConn{dc: dc, low: make(chan struct{}, 1)}
	dc.SetBufferedAmountLowThreshold(dcLowWater)
	dc.OnBufferedAmountLow(func() {
		select {
		case c.low <- struct{}{}:
		default:
		}
	})
	return c
}

// Send waits while the channel's buffer is over its high-water mark.
func (c *dcConn) Send(ctx context.Context, data []byte) error {
	for c.dc.BufferedAmount() > dcHighWater {
		t := time.NewTimer(time.Second)
		select {
		case <-c.low:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		t.Stop()
	}
	return c.dc.Send(data)
}

func (c *dcConn) Close() { c.dc.Close() }

// lossyDC is the optional batch channel.
type lossyDC struct{ dc *webrtc.DataChannel }

func (l lossyDC) SendLossy(data []byte) lossyResult {
	switch {
	case l.dc.ReadyState() != webrtc.DataChannelStateOpen:
		return lossyUnavailable
	case l.dc.BufferedAmount() > lossyHighWater:
		return lossyDropped
	case l.dc.Send(data) != nil:
		return lossyUnavailable
	}
	return lossySent
}

// remoteIP is the peer's address on the selected ICE candidate pair.
func remoteIP(dc *webrtc.DataChannel) string {
	sctp := dc.Transport()
	if sctp == nil || sctp.Transport() == nil || sctp.Transport().ICETransport() == nil {
		return ""
	}
	pair, err := sctp.Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Remote == nil {
		return ""
	}
	if ip := net.ParseIP(pair.Remote.Address); ip != nil {
		return ip.String()
	}
	return pair.Remote.Address
}

// dcMembers pairs a user's lossy channel with their reliable one.
type dcMembers struct {
	mu sync.Mutex
	by map[string]*member // room + "\x00" + user → latest data-channel member
}

var errNoMember = errors.New("interaction: no reliable channel for this lossy channel")

func (h *Hub) attachReliable(roomID string, who auth.Identity, anchor bool, dc *webrtc.DataChannel) {
	// Messages are handled once the member exists; until then (a few ms
	// after open) the channel's reader waits, so none is lost.
	var mem atomic.Pointer[member]
	joined := make(chan struct{})
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		select {
		case <-joined:
		case <-h.ctx.Done():
			return
		}
		if m := mem.Load(); m != nil && m.ctx.Err() == nil {
			m.handle(msg.Data)
		}
	})
	join := func() {
		defer close(joined)
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		defer cancel()
		conn := newDCConn(dc)
		key := roomID + "\x00" + who.UserID
		m, err := h.join(ctx, roomID, who, anchor, remoteIP(dc), conn, false, joinHooks{
			joined: func(m *member) {
				mem.Store(m)
				h.dcm.mu.Lock()
				if h.dcm.by == nil {
					h.dcm.by = make(map[string]*member)
				}
				h.dcm.by[key] = m
				h.dcm.mu.Unlock()
			},
			left: func(m *member) {
				h.dcm.mu.Lock()
				if h.dcm.by[key] == m {
					delete(h.dcm.by, key)
				}
				h.dcm.mu.Unlock()
			},
		})
		if err != nil {
			code, msg := protocol.CodeOf(err), "cannot join the room"
			var pe *protocol.Error
			if errors.As(err, &pe) {
				msg = pe.Message
			}
			dc.SendText(string(protocol.AppendError(nil, code, msg, "")))
			h.log.Info("data channel refused", "room", roomID, "user", who.UserID, "err", err)
			dc.Close()
			return
		}
		dc.OnClose(m.close)
		if dc.ReadyState() != webrtc.DataChannelStateOpen {
			// Closed while joining.
			m.close()
		}
	}
	if dc.ReadyState() == webrtc.DataChannelStateOpen {
		go join()
		return
	}
	dc.OnOpen(join)
}

func (h *Hub) attachLossy(roomID string, who auth.Identity, dc *webrtc.DataChannel) {
	attach := func() {
		// The reliable channel may open a moment later.
		for i := 0; i < 50; i++ {
			if m := h.dcLookup(roomID, who.UserID); m != nil {
				m.lossy.Store(&lossyHolder{c: lossyDC{dc: dc}})
				dc.OnClose(func() { m.lossy.Store(nil) })
				// Inbound messages on the lossy channel are handled too.
				dc.OnMessage(func(msg webrtc.DataChannelMessage) {
					if m.ctx.Err() == nil {
						m.handle(msg.Data)
					}
				})
				return
			}
			select {
			case <-h.ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		h.log.Info("lossy channel without a reliable one, closed", "room", roomID, "user", who.UserID, "err", errNoMember)
		dc.Close()
	}
	if dc.ReadyState() == webrtc.DataChannelStateOpen {
		go attach()
		return
	}
	dc.OnOpen(attach)
}

func (h *Hub) dcLookup(roomID, user string) *member {
	h.dcm.mu.Lock()
	defer h.dcm.mu.Unlock()
	return h.dcm.by[roomID+"\x00"+user]
}
