package sfu

import (
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
)

// TestSingleLayerAutoViewerWithoutEstimator: a viewer in automatic mode
// of a publisher with one layer gets no send-side estimator (nothing to
// choose between) and its answer offers no TWCC, yet receives one
// continuous stream and keeps the loss its receiver reports give.
func TestSingleLayerAutoViewerWithoutEstimator(t *testing.T) {
	for _, h264 := range []bool{false, true} {
		name := map[bool]string{false: "vp8", true: "h264"}[h264]
		t.Run(name, func(t *testing.T) {
			e := newTestEngine(t, Config{})
			startPublisher(t, e, "r1", synth.PublisherOptions{H264: h264, Bitrates: []int{400_000}, FPS: 30})
			v, s := startViewer(t, e, "r1", "")
			if s.sub.bwe != nil {
				t.Fatal("automatic viewer of a single-layer publisher has a bandwidth estimator")
			}
			if strings.Contains(s.AnswerSDP(), "transport-cc") {
				t.Error("answer offers TWCC feedback to a viewer without an estimator")
			}
			waitFor(t, 10*time.Second, "packets", func() bool { return len(v.Packets()) >= 90 })
			if !h264 {
				checkStream(t, v.Packets())
			}
		})
	}
}
