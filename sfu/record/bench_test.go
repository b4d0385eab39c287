package record

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/sfu/synth"
)

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type discard struct{ bytes int }

func (d *discard) Header(context.Context, time.Time, Tracks, []byte) error { return nil }
func (d *discard) Segment(_ context.Context, s Segment) error {
	d.bytes += len(s.Data)
	return nil
}

type noSource struct{}

func (noSource) Packets() <-chan *sfu.TapPacket { return nil }
func (noSource) RequestKeyframe()               {}

// BenchmarkRecorderPacket is the recorder's own CPU per tapped packet
// (reorder, depacketize, segment, encode the clusters): a 30 fps VP8 layer
// of 1.6 Mbit/s (7 packets a frame, keyframe every second) and Opus, as the
// bench publisher sends. It runs on the recorder's goroutine, off the
// forwarding path; multiplied by the publisher's packet rate it bounds
// what recording adds to a node.
func BenchmarkRecorderPacket(b *testing.B) {
	sink := &discard{}
	r := New(noSource{}, sink, Options{})
	var seq, aseq uint16
	var ts, ats uint32
	frame := 0
	now := time.Now().UnixNano()
	payload := make([]byte, 0, 1500)
	b.ReportAllocs()
	n := 0
	cpu0 := cpuTime()
	for b.Loop() {
		k := n % 8 // 7 video packets, then one audio
		n++
		if k == 7 {
			p := &sfu.TapPacket{MimeType: "audio/opus", ClockRate: 48000, SSRC: 2, SequenceNumber: aseq, Timestamp: ats, ReadAt: now,
				Payload: []byte{0xfc, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}
			aseq++
			ats += 960
			r.handle(p)
			continue
		}
		key := frame%30 == 0
		payload = synth.AppendVP8(payload[:0], key, k == 0, uint16(frame), 0, 1100, synth.Tail{Frame: uint32(frame)})
		p := &sfu.TapPacket{Video: true, MimeType: "video/VP8", ClockRate: 90000, SSRC: 1, Keyframe: key && k == 0,
			Marker: k == 6, SequenceNumber: seq, Timestamp: ts, ReadAt: now, Payload: payload}
		seq++
		r.handle(p)
		if k == 6 {
			frame++
			ts += 3000
			now += int64(time.Second / 30)
			if err := r.cut(context.Background(), now/1e6); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The machine is shared: CPU time, not wall time, is what recording costs.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	if frame > 300 && sink.bytes == 0 {
		b.Fatal("no segment written")
	}
}
