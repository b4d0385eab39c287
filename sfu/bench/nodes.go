package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// NodeResult is what the viewers attached to one node of a multi-node run
// (MediaOptions.WHEPNodes) measured over the steady window.
type NodeResult struct {
	// WHEPURL is the node's WHEP endpoint as given ({room} not replaced).
	WHEPURL string
	// Viewers attached to the node.
	Viewers int
	// NoKeyframe counts viewers without a first keyframe.
	NoKeyframe int
	// JoinP50 is the median WHEP POST -> first keyframe.
	JoinP50 time.Duration
	// Received is the video and audio packets the node's viewers received
	// in the window.
	Received int64
	// FramesDelivered and FramesDue count frames of the viewers' layer
	// whose last packet arrived within the grace period, against the
	// frames the publisher sent in the window times the viewers; Due is 0
	// when it is not known (automatic layers of a simulcast publisher).
	FramesDelivered, FramesDue int64
	// DelayP50 and DelayP99 are publisher send -> viewer receive of the
	// packets sent in the window after each viewer went live: end to end
	// through whatever cascade sits between the publisher and the node.
	DelayP50, DelayP99 time.Duration
	// DelayPackets is how many packets the delay was measured on.
	DelayPackets uint64
}

// Window is the steady measurement window of a run, as MediaOptions.OnWindow
// sees it.
type Window struct {
	// Begin is true when the window opens, false when it closes.
	Begin bool
	// At is when the tool read its own clock for this edge of the window.
	At time.Time
}

// errRedirected is a WHEP answer that sent the viewer elsewhere: in a
// multi-node run each node must serve its own viewers, so a redirect is a
// failed join and is not followed.
var errRedirected = errors.New("redirected")

// redirectCount counts the joins in errs that failed on a redirect.
func redirectCount(errs []error) int {
	n := 0
	for _, err := range errs {
		if errors.Is(err, errRedirected) {
			n++
		}
	}
	return n
}

// nodeJoinError summarises the failed joins of a multi-node run per node.
func nodeJoinError(nodes []string, failed [][]error) error {
	var msgs []string
	for i, errs := range failed {
		if len(errs) == 0 {
			continue
		}
		msgs = append(msgs, fmt.Sprintf("%s: %d failed (%d redirected; redirects are failures, not followed): %v",
			nodes[i], len(errs), redirectCount(errs), errs[0]))
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New("bench: joining viewers: " + strings.Join(msgs, "; "))
}

// layerIndex is the simulcast index of a layer name (q, h, f), or -1.
func layerIndex(rid string) int {
	return slices.Index([]string{"q", "h", "f"}, rid)
}

// nodeResults splits the viewers' tallies by node (viewer i is on node
// i mod len(nodes)); framesDue is the frames each viewer was due (0
// unknown).
func nodeResults(nodes []string, vs []*viewerStats, framesDue int) []NodeResult {
	out := make([]NodeResult, len(nodes))
	hists := make([][buckets + 1]uint64, len(nodes))
	joins := make([][]float64, len(nodes))
	for i := range out {
		out[i].WHEPURL = nodes[i]
	}
	for i, v := range vs {
		if v == nil {
			continue
		}
		n := i % len(nodes)
		r := &out[n]
		r.Viewers++
		if kf := v.v.FirstKeyframeAt(); !kf.IsZero() {
			joins[n] = append(joins[n], float64(kf.Sub(v.postAt)))
		} else {
			r.NoKeyframe++
		}
		r.Received += v.pkts + v.audioPkts
		r.FramesDelivered += v.frames
		if framesDue > 0 {
			r.FramesDue += int64(framesDue)
		}
		for j, c := range v.hist {
			hists[n][j] += uint64(c)
			r.DelayPackets += uint64(c)
		}
	}
	for i := range out {
		slices.Sort(joins[i])
		out[i].JoinP50 = time.Duration(percentile(joins[i], .5))
		out[i].DelayP50 = histPercentile(&hists[i], out[i].DelayPackets, .5)
		out[i].DelayP99 = histPercentile(&hists[i], out[i].DelayPackets, .99)
	}
	return out
}
