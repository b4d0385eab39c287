package sfu

import (
	"fmt"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// discardWriter is a TrackLocalWriter that drops packets, so benchmarks
// measure the SFU's own work and not SRTP or the network.
type discardWriter struct{ n int }

func (w *discardWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.n++
	return len(payload), nil
}
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

var _ webrtc.TrackLocalWriter = (*discardWriter)(nil)
var _ interceptor.Attributes = nil

// benchRoom builds a room with a VP8 publisher layer and n connected
// subscribers already forwarding that layer.
func benchRoom(b testing.TB, n int) (*layer, []*subscriber) {
	b.Helper()
	m, _ := newMetrics(nil)
	e := &Engine{metrics: m}
	r := &room{name: "bench", eng: e}
	pub := &publisher{room: r}
	r.pub = pub
	l := &layer{pub: pub, rid: "h", kind: codecVP8, clock: 90000, fan: newFanout(nil)}
	b.Cleanup(l.fan.close)
	pub.addLayer(l)
	subs := make([]*subscriber, n)
	for i := range subs {
		dt := newDownTrack(webrtc.RTPCodecTypeVideo, supportedVideo[0], "bench")
		dt.bound.Store(&binding{ssrc: uint32(i + 1), pt: 96, writer: &discardWriter{}})
		dt.live.Store(true)
		s := &subscriber{room: r, video: &videoForwarder{dt: dt, met: m}}
		s.connected.Store(true)
		s.video.setTarget(l)
		subs[i] = s
		r.addSub(s)
	}
	return l, subs
}

// benchPackets returns a GOP of synthetic VP8 packets, keyframe first.
func benchPackets(n int) []rtp.Packet {
	pkts := make([]rtp.Packet, n)
	for i := range pkts {
		frame := i / 2
		pkts[i] = rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(i), Timestamp: uint32(frame * 3000), Marker: i%2 == 1},
			Payload: synth.AppendVP8(nil, i == 0, i%2 == 0, uint16(frame), uint8(frame), 1100, synth.Tail{}),
		}
	}
	return pkts
}

// BenchmarkForward measures one subscriber's forwarder: layer check, seq,
// timestamp and picture ID rewrite, descriptor copy, write.
func BenchmarkForward(b *testing.B) {
	l, subs := benchRoom(b, 1)
	pkts := benchPackets(256)
	var info pktInfo
	f := subs[0].video
	b.ReportAllocs()
	b.SetBytes(1100)
	now := time.Now().UnixNano()
	for i := 0; b.Loop(); i++ {
		p := &pkts[i%len(pkts)]
		p.SequenceNumber = uint16(i)
		info.vp8ok = parseVP8(p.Payload, &info.vp8)
		info.keyframe = i == 0
		f.forward(l, p, &info, now)
	}
}

// BenchmarkMunger measures the sequence/timestamp rewrite alone.
func BenchmarkMunger(b *testing.B) {
	var m munger
	m.switchTo(0, 0, 0, 90000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.rewrite(uint16(i), uint32(i/2*3000), int64(i))
	}
}

// BenchmarkFanout250 is the fan-out of one packet to 250 viewers (#13) for
// each codec path: VP8 with its descriptor rewrite, and H.264 (keyframe
// detection once per packet, payload passed through). It must report
// 0 allocs/op.
func BenchmarkFanout250(b *testing.B) {
	for _, kind := range []codecKind{codecVP8, codecH264} {
		name := map[codecKind]string{codecVP8: "vp8", codecH264: "h264"}[kind]
		b.Run(name, func(b *testing.B) {
			l, _ := benchRoom(b, 250)
			l.kind = kind
			pkts := benchPackets(256)
			if kind == codecH264 {
				for i := range pkts {
					pkts[i].Payload = synth.AppendH264(nil, i < 4, i%4 == 0, 1000, synth.Tail{})
				}
			}
			now := time.Now().UnixNano()
			for i := range pkts { // warm the keyframe cache
				l.handle(&pkts[i], now)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := &pkts[i%len(pkts)]
				p.SequenceNumber = uint16(i + len(pkts))
				// Time moves on, so that every lap's keyframe restarts the
				// cache (reusing its buffers) as a live stream's does.
				p.Timestamp = uint32((i + len(pkts)) / 2 * 3000)
				l.handle(p, time.Now().UnixNano()) // read just now: never shed
				i++
			}
		})
	}
}

// BenchmarkFanout measures a layer reader handing one packet to N
// subscribers (parse once, forward N times, cache once). ns/pkt-out is the
// cost per forwarded packet.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 10, 100, 250, 300} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			l, _ := benchRoom(b, n)
			pkts := benchPackets(256)
			b.ReportAllocs()
			now := time.Now().UnixNano()
			// Warm the keyframe cache so that its buffers are allocated.
			for i := range pkts {
				l.handle(&pkts[i], now)
			}
			start := time.Now()
			i := 0
			for b.Loop() {
				p := &pkts[i%len(pkts)]
				p.SequenceNumber = uint16(i + len(pkts))
				l.handle(p, time.Now().UnixNano()) // read just now: never shed
				i++
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(i*n), "ns/pkt-out")
		})
	}
}
