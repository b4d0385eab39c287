package sfu

import (
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

func TestNTPTime(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want uint64
	}{
		{time.Unix(0, 0), ntpEpochOffset << 32},
		{time.Unix(1, 500_000_000), (ntpEpochOffset+1)<<32 | 1<<31},
		{time.Unix(1_700_000_000, 250_000_000), (ntpEpochOffset+1_700_000_000)<<32 | 1<<30},
	} {
		if got := ntpTime(tc.t); got != tc.want {
			t.Errorf("ntpTime(%v) = %#x, want %#x", tc.t, got, tc.want)
		}
	}
}

// TestSenderReportState: a report maps the wall clock to the RTP clock
// from the first packet of the newest frame, counts every packet and
// payload byte, and is withheld until something was sent.
func TestSenderReportState(t *testing.T) {
	var s srState
	t0 := time.Unix(1_700_000_000, 0)
	if _, ok := s.report(7, 90000, t0); ok {
		t.Fatal("a report before any packet")
	}
	s.sent(1000, t0.UnixNano(), 100)
	s.sent(1000, t0.Add(20*time.Millisecond).UnixNano(), 100) // same frame, read later
	s.sent(4000, t0.Add(33*time.Millisecond).UnixNano(), 50)
	s.resent(100)
	for _, tc := range []struct {
		at   time.Duration
		want uint32
	}{
		{33 * time.Millisecond, 4000},
		{533 * time.Millisecond, 4000 + 45000},
		{36*time.Hour + 33*time.Millisecond, 4000 + uint32(36*3600*90000%(1<<32))},
		{30 * time.Millisecond, 4000 - 270}, // read since the clock was taken
	} {
		sr, ok := s.report(7, 90000, t0.Add(tc.at))
		if !ok {
			t.Fatal("no report")
		}
		if sr.SSRC != 7 || sr.PacketCount != 4 || sr.OctetCount != 350 {
			t.Errorf("at %v: ssrc %d, %d packets, %d octets; want 7, 4, 350", tc.at, sr.SSRC, sr.PacketCount, sr.OctetCount)
		}
		if sr.RTPTime != tc.want {
			t.Errorf("at %v: RTP time %d, want %d", tc.at, sr.RTPTime, tc.want)
		}
		if sr.NTPTime != ntpTime(t0.Add(tc.at)) {
			t.Errorf("at %v: NTP time %#x, want %#x", tc.at, sr.NTPTime, ntpTime(t0.Add(tc.at)))
		}
	}
}

// srCapture records the sender reports a peer receives, with their arrival.
type srCapture struct {
	mu      sync.Mutex
	reports []capturedSR
}

type capturedSR struct {
	sr rtcp.SenderReport
	at time.Time
}

func (c *srCapture) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &srCaptureInterceptor{c: c}, nil
}

type srCaptureInterceptor struct {
	interceptor.NoOp
	c *srCapture
}

func (i *srCaptureInterceptor) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := r.Read(b, a)
		if err != nil {
			return n, a, err
		}
		if pkts, err := rtcp.Unmarshal(b[:n]); err == nil {
			now := time.Now()
			i.c.mu.Lock()
			for _, p := range pkts {
				if sr, ok := p.(*rtcp.SenderReport); ok {
					i.c.reports = append(i.c.reports, capturedSR{*sr, now})
				}
			}
			i.c.mu.Unlock()
		}
		return n, a, err
	})
}

func (c *srCapture) of(ssrc uint32) []capturedSR {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []capturedSR
	for _, r := range c.reports {
		if r.sr.SSRC == ssrc {
			out = append(out, r)
		}
	}
	return out
}

// TestSenderReportsReachViewer: a viewer receives a sender report about
// once a second for its video and for its audio, on their SSRCs, with
// counts that grow and an RTP time that keeps to the media's clock and to
// the timestamps it receives.
func TestSenderReportsReachViewer(t *testing.T) {
	e := newTestEngine(t, Config{})
	startPublisher(t, e, "sr", synth.PublisherOptions{Bitrates: []int{300_000}, FPS: 30})
	capture := &srCapture{}
	a, err := synth.NewAPIWith(true, capture)
	if err != nil {
		t.Fatal(err)
	}
	v, err := synth.NewViewer(a, synth.ViewerOptions{Record: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	offer, err := v.Offer()
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.Subscribe(testCtx(t), SubscribeRequest{Room: "sr", OfferSDP: offer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := v.Start(s.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	// Pion's interceptors see incoming RTCP only as it is read.
	for _, r := range v.PeerConnection().GetReceivers() {
		go func() {
			for {
				if _, _, err := r.ReadRTCP(); err != nil {
					return
				}
			}
		}()
	}
	waitFor(t, 20*time.Second, "video packets", func() bool { return len(v.Packets()) > 0 })
	videoSSRC := v.Packets()[0].SSRC
	var audioSSRC uint32
	for _, tr := range s.pc.GetTransceivers() {
		if p := tr.Sender().GetParameters(); tr.Kind() == webrtc.RTPCodecTypeAudio && len(p.Encodings) > 0 {
			audioSSRC = uint32(p.Encodings[0].SSRC)
		}
	}
	waitFor(t, 20*time.Second, "four video and two audio sender reports", func() bool {
		return len(capture.of(videoSSRC)) >= 4 && len(capture.of(audioSSRC)) >= 2
	})
	reports := capture.of(videoSSRC)
	first, last := reports[0], reports[len(reports)-1]
	if last.sr.PacketCount <= first.sr.PacketCount || last.sr.OctetCount <= first.sr.OctetCount {
		t.Errorf("counts did not grow: %d/%d packets, %d/%d octets", first.sr.PacketCount, last.sr.PacketCount, first.sr.OctetCount, last.sr.OctetCount)
	}
	wall := ntpSeconds(last.sr.NTPTime) - ntpSeconds(first.sr.NTPTime)
	if gap := wall / float64(len(reports)-1); gap < 0.5 || gap > 2 {
		t.Errorf("reports %.2f s apart, want about 1 s", gap)
	}
	if rate := float64(last.sr.RTPTime-first.sr.RTPTime) / wall; rate < 0.8*90000 || rate > 1.2*90000 {
		t.Errorf("RTP time advanced %.0f ticks/s between reports, want about 90000", rate)
	}
	// The report's RTP time against the newest packet received before it
	// arrived: the RTP clock extrapolated over the time between them, give
	// or take the delays of a loaded machine.
	pkts := v.Packets()
	for _, r := range reports {
		var p *synth.Packet
		for i := range pkts {
			if pkts[i].ArrivalNs <= r.at.UnixNano() {
				p = &pkts[i]
			}
		}
		if p == nil {
			continue
		}
		want := float64(p.TS) + float64(r.at.UnixNano()-p.ArrivalNs)/1e9*90000
		if d := float64(int32(r.sr.RTPTime - uint32(int64(want)))); d < -0.3*90000 || d > 0.3*90000 {
			t.Errorf("report RTP time %d is %.0f ms from the stream's (%.0f)", r.sr.RTPTime, d/90, want)
		}
	}
}

// ntpSeconds is an NTP timestamp in seconds.
func ntpSeconds(t uint64) float64 { return float64(t>>32) + float64(t&0xffffffff)/(1<<32) }
