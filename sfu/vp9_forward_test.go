package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// captureWriter keeps what a downTrack writes.
type captureWriter struct{ pkts []rtp.Packet }

func (w *captureWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.pkts = append(w.pkts, rtp.Packet{Header: *h, Payload: append([]byte(nil), payload...)})
	return len(payload), nil
}
func (w *captureWriter) Write(b []byte) (int, error) { return len(b), nil }

// vp9Packet is a one-packet VP9 frame in non-flexible mode with a 7-bit
// picture ID and TL0PICIDX.
func vp9Packet(seq uint16, ts uint32, pic, tl0 uint8, key bool) *rtp.Packet {
	b0 := byte(0x80 | 0x20 | 0x08 | 0x04) // I, L, B, E
	if !key {
		b0 |= 0x40 // P: inter-picture predicted
	}
	return &rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: 98, SequenceNumber: seq, Timestamp: ts, Marker: true},
		Payload: []byte{b0, pic & 0x7f, 0x00, tl0, 0xde, 0xad},
	}
}

// TestVP9ForwardedAcrossSwitch: a viewer switched between two VP9 layers
// sees continuous sequence numbers, picture IDs and TL0PICIDX, the
// descriptor otherwise untouched.
func TestVP9ForwardedAcrossSwitch(t *testing.T) {
	m, _ := newMetrics(nil)
	e := &Engine{metrics: m}
	r := &room{name: "vp9", eng: e}
	pub := &publisher{room: r}
	r.pub = pub
	low := &layer{pub: pub, rid: "q", rank: 0, kind: codecVP9, clock: 90000, fan: newFanout(nil)}
	high := &layer{pub: pub, rid: "h", rank: 1, kind: codecVP9, clock: 90000, fan: newFanout(nil)}
	t.Cleanup(low.fan.close)
	t.Cleanup(high.fan.close)
	pub.addLayer(low)
	pub.addLayer(high)
	// No publisher connection here: keep the keyframe requests the
	// switch makes inside the throttle's interval.
	low.pli.allow(time.Now().UnixNano())
	high.pli.allow(time.Now().UnixNano())
	w := &captureWriter{}
	dt := newDownTrack(webrtc.RTPCodecTypeVideo, supportedVideo[6], "vp9")
	dt.bound.Store(&binding{ssrc: 1, pt: 98, writer: w})
	dt.live.Store(true)
	s := &subscriber{room: r, video: &videoForwarder{dt: dt, met: m}}
	s.connected.Store(true)
	s.video.setTarget(low)
	r.addSub(s)

	// Low layer: pictures 120..122; high layer: its own numbering, 40..41.
	// Read times just now: a packet read long ago would be shed (shed.go).
	t0 := time.Now().UnixNano()
	low.handle(vp9Packet(100, 9000, 120, 7, true), t0+1)
	low.handle(vp9Packet(101, 12000, 121, 8, false), t0+2)
	s.video.setTarget(high)
	high.handle(vp9Packet(500, 15000, 40, 200, false), t0+3) // not a keyframe: ignored, low stays
	low.handle(vp9Packet(102, 15000, 122, 9, false), t0+4)
	high.handle(vp9Packet(501, 18000, 41, 201, true), t0+5) // keyframe: the switch

	if len(w.pkts) != 4 {
		t.Fatalf("forwarded %d packets, want 4", len(w.pkts))
	}
	for i, p := range w.pkts {
		var d vp9Desc
		if !parseVP9(p.Payload, &d) || d.picOff == 0 || d.tl0Off == 0 {
			t.Fatalf("packet %d: descriptor % x lost its picture ID or TL0PICIDX", i, p.Payload)
		}
		if !d.picID15 {
			t.Errorf("packet %d: picture ID not in its 15-bit form", i)
		}
		if i == 0 {
			continue
		}
		var prev vp9Desc
		parseVP9(w.pkts[i-1].Payload, &prev)
		if p.SequenceNumber != w.pkts[i-1].SequenceNumber+1 {
			t.Errorf("packet %d: sequence %d after %d", i, p.SequenceNumber, w.pkts[i-1].SequenceNumber)
		}
		if d.picID != (prev.picID+1)&0x7fff || d.tl0 != prev.tl0+1 {
			t.Errorf("packet %d: picture %d / TL0 %d after %d / %d", i, d.picID, d.tl0, prev.picID, prev.tl0)
		}
		if tail := p.Payload[len(p.Payload)-2:]; tail[0] != 0xde || tail[1] != 0xad {
			t.Errorf("packet %d: payload after the descriptor changed: % x", i, p.Payload)
		}
	}
}
