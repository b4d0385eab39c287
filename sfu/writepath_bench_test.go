package sfu

import (
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
)

// writePathViewers is how many real viewers BenchmarkWritePath writes to.
// The cost per write hardly depends on it; a few keep the setup short
// enough to run under callgrind.
const writePathViewers = 8

// BenchmarkWritePath measures what lies below the SFU for every packet
// and viewer: a downTrack's write through Pion (interceptors, SRTP, the
// mux, ICE, the UDP mux) down to the shared socket, to real viewers on
// loopback. One op is one 1,000-byte packet written to every viewer; the
// per-write figure is reported as ns/write. The publisher is gone before
// the timer starts, so the benchmark is the downTracks' only writer.
//
// For instruction counts, independent of the machine's load:
//
//	go test -c -o /tmp/sfu.test ./sfu/
//	GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --toggle-collect='*downTrack*write' \
//	  /tmp/sfu.test -test.run '^$' -test.bench WritePath -test.benchtime 2000x
//
// The toggled total also catches other goroutines' work on the threads
// valgrind switches to during a write (and the setup's forwarding), so
// compare the write path's own functions per write in callgrind_annotate
// (docs/benchmarks.md, 2026-12-07 evening).
func BenchmarkWritePath(b *testing.B) {
	e := newTestEngine(b, Config{})
	_, pubSess := startPublisher(b, e, "wp", synth.PublisherOptions{Bitrates: []int{960_000}, FPS: 30, NoAudio: true})
	dts := make([]*downTrack, 0, writePathViewers)
	viewers := make([]*synth.Viewer, 0, writePathViewers)
	for range writePathViewers {
		v, err := synth.NewViewer(api(b), synth.ViewerOptions{NoAudio: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = v.Close() })
		offer, err := v.Offer()
		if err != nil {
			b.Fatal(err)
		}
		s, err := e.Subscribe(testCtx(b), SubscribeRequest{Room: "wp", OfferSDP: offer})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		if err := v.Start(s.AnswerSDP()); err != nil {
			b.Fatal(err)
		}
		viewers = append(viewers, v)
		dts = append(dts, s.sub.video.dt)
	}
	for _, v := range viewers {
		select {
		case <-v.Keyframe():
		case <-time.After(20 * time.Second):
			b.Fatal("a viewer got no keyframe")
		}
	}
	_ = pubSess.Close()
	// The layer's reader is gone once the viewers stop receiving.
	var last int64 = -1
	waitFor(b, 10*time.Second, "forwarding to stop", func() bool {
		time.Sleep(100 * time.Millisecond)
		var n int64
		for _, v := range viewers {
			n += v.VideoPackets()
		}
		stopped := n == last
		last = n
		return stopped
	})
	payload := make([]byte, 1000)
	payload[0] = 0x10 // a VP8 descriptor: start of partition
	seq := uint16(1000)
	ts := uint32(0)
	now := time.Now().UnixNano()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		seq++
		if i%4 == 0 {
			ts += 3000
			now += int64(time.Second / 30)
		}
		for _, dt := range dts {
			if dt.write(i%4 == 3, seq, ts, payload, now) == 0 {
				b.Fatal("write failed")
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(dts)), "ns/write")
	b.ReportMetric(0, "ns/op")
}
