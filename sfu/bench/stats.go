package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/livesell/livesell/sfu/synth"
)

// Latency histogram: 50 µs buckets up to 50 ms, 1 ms buckets up to 2 s,
// then 10 ms buckets up to 12 s (a server that queues seconds must show
// how many).
const (
	fineWidth     = 50 * time.Microsecond
	fineBuckets   = 1000
	coarseWidth   = time.Millisecond
	coarseBuckets = 1950
	wideWidth     = 10 * time.Millisecond
	wideBuckets   = 1000
	buckets       = fineBuckets + coarseBuckets + wideBuckets
	coarseFrom    = fineBuckets * fineWidth
	wideFrom      = coarseFrom + coarseBuckets*coarseWidth
)

func bucketOf(d time.Duration) int {
	switch {
	case d < 0:
		return 0
	case d < coarseFrom:
		return int(d / fineWidth)
	case d < wideFrom:
		return fineBuckets + int((d-coarseFrom)/coarseWidth)
	}
	return min(fineBuckets+coarseBuckets+int((d-wideFrom)/wideWidth), buckets)
}

// bucketTop is the upper bound of bucket i.
func bucketTop(i int) time.Duration {
	switch {
	case i < fineBuckets:
		return time.Duration(i+1) * fineWidth
	case i < fineBuckets+coarseBuckets:
		return coarseFrom + time.Duration(i-fineBuckets+1)*coarseWidth
	}
	return wideFrom + time.Duration(i-fineBuckets-coarseBuckets+1)*wideWidth
}

// viewerStats accumulates what one viewer received during the window.
type viewerStats struct {
	v      *synth.Viewer
	loc    string // WHEP resource
	whep   string // the WHEP endpoint it joined through
	postAt time.Time

	mu        sync.Mutex
	measuring bool // arrival window: packets, bytes, sequence numbers
	pkts      int64
	bytes     int64
	haveSeq   bool
	firstSeq  int64 // unwrapped
	lastSeq   int64
	audio0    int64
	audioPkts int64
	// liveNs is when the viewer's first keyframe arrived: packets sent
	// before it (a replayed keyframe cache) do not count as delay.
	liveNs int64

	// Send window: packets the publisher sent in [sendFrom, sendTo],
	// counted on arrival until finish (a grace period after the window).
	counting         bool
	sendFrom, sendTo int64
	layer            uint8               // the layer whose frames are counted
	lastIdx          uint8               // Tail.Packet of a frame's last packet
	frames           int64               // frames of that layer whose last packet arrived
	hist             [buckets + 1]uint32 // delay of packets sent after liveNs
	// seen holds the (layer, frame, packet) tails counted: a packet that
	// arrives twice (sent again after a NACK) counts once, at its first
	// arrival.
	seen map[uint64]struct{}
}

func (s *viewerStats) onVideo(p synth.Packet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.liveNs == 0 && p.Keyframe {
		s.liveNs = p.ArrivalNs
	}
	if s.measuring {
		s.pkts++
		s.bytes += int64(p.Size)
		if !s.haveSeq {
			s.haveSeq = true
			s.firstSeq, s.lastSeq = int64(p.Seq), int64(p.Seq)
		} else if d := int64(int16(p.Seq - uint16(s.lastSeq))); d > 0 {
			s.lastSeq += d
		}
	}
	if !s.counting || !p.TailOK || p.Tail.SentNs < s.sendFrom || p.Tail.SentNs > s.sendTo {
		return
	}
	key := uint64(p.Tail.Layer)<<40 | uint64(p.Tail.Frame)<<8 | uint64(p.Tail.Packet)
	if _, dup := s.seen[key]; dup {
		return
	}
	if s.seen == nil {
		s.seen = make(map[uint64]struct{}, 4096)
	}
	s.seen[key] = struct{}{}
	if s.liveNs != 0 && p.Tail.SentNs > s.liveNs {
		s.hist[bucketOf(time.Duration(p.ArrivalNs-p.Tail.SentNs))]++
	}
	// A server that packetizes frames anew (MediaMTX) keeps the tail at
	// the end of each frame: the last packet's tail marks it delivered.
	if p.Tail.Layer == s.layer && p.Tail.Packet == s.lastIdx {
		s.frames++
	}
}

// begin opens the arrival window now and the send window [from, to];
// frames of layer are counted, lastIdx is the index of a frame's last
// packet.
func (s *viewerStats) begin(from, to int64, layer, lastIdx uint8) {
	s.mu.Lock()
	s.measuring, s.counting = true, true
	s.sendFrom, s.sendTo, s.layer, s.lastIdx = from, to, layer, lastIdx
	s.audio0 = s.v.AudioPackets()
	s.mu.Unlock()
}

// end closes the arrival window.
func (s *viewerStats) end() {
	s.mu.Lock()
	s.measuring = false
	s.audioPkts = s.v.AudioPackets() - s.audio0
	s.mu.Unlock()
}

// finish stops counting the send window's packets.
func (s *viewerStats) finish() {
	s.mu.Lock()
	s.counting = false
	s.mu.Unlock()
}

func (s *viewerStats) loss() float64 {
	exp := s.lastSeq - s.firstSeq + 1
	if !s.haveSeq || exp <= 0 {
		return 1
	}
	return max(0, 1-float64(s.pkts)/float64(exp))
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

func histPercentile(h *[buckets + 1]uint64, total uint64, p float64) time.Duration {
	want := uint64(p * float64(total))
	var acc uint64
	for i, n := range h {
		acc += n
		if acc > want {
			return bucketTop(i)
		}
	}
	return bucketTop(buckets)
}

// window is what the tool measured over the steady window besides the
// viewers' own tallies.
type window struct {
	d        time.Duration
	cpu      time.Duration // server CPU time
	haveCPU  bool
	cpuLabel string
	sent     int64 // video packets the publisher sent
	frames   int   // frames of layer 0 the publisher sent in the send window
	perFrame int   // packets per frame of layer 0
	grace    time.Duration
	layers   int   // video layers published
	peakRSS  int64 // the server's peak resident set (VmHWM), bytes; 0 unknown
}

// histMax is the top of the highest non-empty bucket (0 when empty).
func histMax(h *[buckets + 1]uint64) time.Duration {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i] > 0 {
			return bucketTop(i)
		}
	}
	return 0
}

func report(out io.Writer, o MediaOptions, vs []*viewerStats, joinAll time.Duration, w window) error {
	var joins, losses, rates []float64
	var hist [buckets + 1]uint64
	var total, video, audio, frames uint64
	var noKF int
	for _, v := range vs {
		if kf := v.v.FirstKeyframeAt(); !kf.IsZero() {
			joins = append(joins, float64(kf.Sub(v.postAt))/float64(time.Millisecond))
		} else {
			noKF++
		}
		losses = append(losses, v.loss())
		rates = append(rates, float64(v.bytes)*8/w.d.Seconds()/1000)
		for i, n := range v.hist {
			hist[i] += uint64(n)
			total += uint64(n)
		}
		video += uint64(v.pkts)
		audio += uint64(v.audioPkts)
		frames += uint64(v.frames)
	}
	slices.Sort(joins)
	slices.Sort(losses)
	slices.Sort(rates)
	var lossSum float64
	for _, l := range losses {
		lossSum += l
	}
	pin := fmt.Sprintf("pinned to layer %q", o.Layer)
	if o.Pin == "auto" {
		pin = "automatic (no layer asked for)"
	}
	fmt.Fprintf(out, "livesell bench media: %d viewers %s, %s window, %d CPUs, load average %s, %s\n",
		len(vs), pin, w.d.Round(time.Millisecond), runtime.NumCPU(), loadAvg(), time.Now().UTC().Format("2006-01-02 15:04 MST"))
	pacing := "each frame in one burst"
	if o.Pacing > 0 {
		pacing = fmt.Sprintf("paced at %.1fx its bitrate in 5 ms bursts", o.Pacing)
	}
	audioNote := "with Opus"
	if o.NoAudio {
		audioNote = "no audio"
	}
	fmt.Fprintf(out, "  publisher: %s %s, %v bps, 30 fps, keyframe every 30 frames, %s, %s\n", o.Publisher, o.Codec, o.Bitrates[:w.layers], pacing, audioNote)
	fmt.Fprintf(out, "  join (WHEP POST -> first keyframe): p50 %.0f ms  p95 %.0f ms  max %.0f ms  (%d without keyframe; all joined in %v)\n",
		percentile(joins, .5), percentile(joins, .95), percentile(joins, 1), noKF, joinAll.Round(time.Millisecond))
	fmt.Fprintf(out, "  delay (publisher send -> viewer receive, packets sent in the window after the viewer went live): p50 %v  p95 %v  p99 %v  (%d packets)\n",
		histPercentile(&hist, total, .5), histPercentile(&hist, total, .95), histPercentile(&hist, total, .99), total)
	fmt.Fprintf(out, "  delay distribution: p10 %v  p25 %v  p75 %v  p90 %v  p99.9 %v  max %v\n",
		histPercentile(&hist, total, .1), histPercentile(&hist, total, .25), histPercentile(&hist, total, .75),
		histPercentile(&hist, total, .9), histPercentile(&hist, total, .999), histMax(&hist))
	if w.layers == 1 && w.frames > 0 {
		// Every viewer is due every frame the publisher sent in the window;
		// a frame counts as delivered when its last packet arrived within
		// the grace period after the window.
		due := float64(w.frames) * float64(len(vs))
		pps := float64(w.perFrame) / w.d.Seconds()
		fmt.Fprintf(out, "  delivered: %.0f of %.0f video packets/s due (%.2f%%; frames sent in the window, last packet within %v)\n",
			float64(frames)*pps, due*pps, 100*float64(frames)/due, w.grace)
	}
	fmt.Fprintf(out, "  loss: mean %.3f%%  p95 %.3f%%  max %.3f%%\n",
		100*lossSum/float64(max(1, len(losses))), 100*percentile(losses, .95), 100*percentile(losses, 1))
	fmt.Fprintf(out, "  video bitrate per viewer: p50 %.0f kbps  min %.0f kbps\n", percentile(rates, .5), percentile(rates, 0))
	fwd := video + audio
	fmt.Fprintf(out, "  received by viewers: %d video + %d audio packets (%.0f pkt/s)\n", video, audio, float64(fwd)/w.d.Seconds())
	if w.haveCPU && fwd > 0 {
		fmt.Fprintf(out, "  CPU: %v over the window (%.2f cores), %.2f µs per packet received [%s]\n",
			w.cpu.Round(time.Millisecond), w.cpu.Seconds()/w.d.Seconds(), float64(w.cpu.Nanoseconds())/1e3/float64(fwd), w.cpuLabel)
	}
	if w.peakRSS > 0 {
		fmt.Fprintf(out, "  server peak RSS: %.0f MB\n", float64(w.peakRSS)/(1<<20))
	}
	return nil
}

// peakRSS returns the peak resident set size (VmHWM) of process pid, or of
// this process when pid <= 0, in bytes; 0 when it cannot be read.
func peakRSS(pid int) int64 {
	path := "/proc/self/status"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// loadAvg returns the 1-minute load average, which tells whether the
// numbers were taken on a busy machine.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
