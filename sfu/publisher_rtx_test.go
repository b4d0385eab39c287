package sfu

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// lossyLink loses one in every video packets a publisher sends (after a
// warm-up), and counts the retransmissions that pass: on the media SSRC
// or on the RTX stream.
type lossyLink struct {
	every                 int
	dropped, resent, rtxd atomic.Int64
}

func (l *lossyLink) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &lossyInterceptor{link: l}, nil
}

type lossyInterceptor struct {
	interceptor.NoOp
	link *lossyLink
}

func (i *lossyInterceptor) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if !strings.HasPrefix(info.MimeType, "video/") {
		return w
	}
	var mu sync.Mutex
	var n int
	lost := map[uint16]bool{}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		mu.Lock()
		switch {
		case h.SSRC == info.SSRC && lost[h.SequenceNumber]:
			delete(lost, h.SequenceNumber)
			i.link.resent.Add(1)
		case h.SSRC == info.SSRC:
			if n++; n > 60 && n%i.link.every == 0 {
				lost[h.SequenceNumber] = true
				mu.Unlock()
				i.link.dropped.Add(1)
				return len(payload), nil
			}
		case info.SSRCRetransmission != 0 && h.SSRC == info.SSRCRetransmission:
			i.link.rtxd.Add(1)
		}
		mu.Unlock()
		return w.Write(h, payload, a)
	})
}

// TestPublisherLossRecovered: the publisher's link loses one video packet
// in 10; the SFU asks for them again and a viewer receives every packet.
// A single-layer publisher resends over RTX; a simulcast one, which is
// answered without RTX, on the media SSRC.
func TestPublisherLossRecovered(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts synth.PublisherOptions
		rtx  bool
	}{
		{"single layer over RTX", synth.PublisherOptions{Bitrates: []int{300_000}}, true},
		{"simulcast on the media SSRC", simulcast, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, Config{})
			link := &lossyLink{every: 10}
			pubAPI, err := synth.NewAPIWith(true, link)
			if err != nil {
				t.Fatal(err)
			}
			p, s := offerPublisher(t, e, pubAPI, "r1", tc.opts)
			if got := strings.Contains(s.AnswerSDP(), "rtx/90000"); got != tc.rtx {
				t.Fatalf("answer negotiates RTX: %v, want %v", got, tc.rtx)
			}
			if err := p.Start(s.AnswerSDP()); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "publisher layers", func() bool { return len(s.pub.layerList()) == max(1, len(tc.opts.RIDs)) })
			layer := "h"
			if len(tc.opts.RIDs) == 0 {
				layer = ""
			}
			v, _ := startViewer(t, e, "r1", layer)

			repaired := func() int64 { return link.resent.Load() + link.rtxd.Load() }
			waitFor(t, 15*time.Second, "losses repaired", func() bool { return link.dropped.Load() >= 10 && repaired() >= 10 })
			if tc.rtx && link.rtxd.Load() == 0 {
				t.Errorf("no retransmission over RTX (%d on the media SSRC)", link.resent.Load())
			}
			time.Sleep(time.Second) // the last repairs arrive

			// Arrival order: repairs come late. Every sequence number from
			// the tenth packet to 50 before the highest must be there.
			pkts := v.Packets()
			if len(pkts) < 100 {
				t.Fatalf("viewer received %d packets", len(pkts))
			}
			have := map[uint16]bool{}
			high := pkts[0].Seq
			for _, pk := range pkts {
				have[pk.Seq] = true
				if int16(pk.Seq-high) > 0 {
					high = pk.Seq
				}
			}
			var missing []uint16
			for q := pkts[10].Seq; int16(high-50-q) > 0; q++ {
				if !have[q] {
					missing = append(missing, q)
				}
			}
			if len(missing) > 0 {
				t.Errorf("viewer misses %d packets (publisher lost %d, resent %d on the media SSRC, %d over RTX), first %v",
					len(missing), link.dropped.Load(), link.resent.Load(), link.rtxd.Load(), missing[:min(len(missing), 10)])
			}
		})
	}
}
