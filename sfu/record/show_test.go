package record_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/sfu/record"
	"github.com/livesell/livesell/sfu/synth"
)

// memSink keeps a recording in memory.
type memSink struct {
	mu     sync.Mutex
	start  time.Time
	tracks record.Tracks
	header []byte
	segs   []record.Segment
}

func (m *memSink) Header(_ context.Context, start time.Time, t record.Tracks, h []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.start, m.tracks, m.header = start, t, h
	return nil
}

func (m *memSink) Segment(_ context.Context, s record.Segment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.segs = append(m.segs, s)
	return nil
}

func (m *memSink) segments() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.segs)
}

// file returns the whole recording with its duration in the header.
func (m *memSink) file(t *testing.T) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	end := m.segs[len(m.segs)-1].EndMs
	h, err := record.Header(m.tracks, time.Duration(end)*time.Millisecond, m.start)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.segs {
		h = append(h, s.Data...)
	}
	return h
}

// mediaDir holds the encoded test media, made once per machine.
func mediaDir(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is needed (Debian's ffmpeg package)")
	}
	dir := filepath.Join(os.TempDir(), "livesell-test-media-40s-v2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a first encode on a loaded 2-core box
	defer cancel()
	if err := synth.EncodeMedia(ctx, dir, 40); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newEngine(t testing.TB) *sfu.Engine {
	t.Helper()
	e, err := sfu.NewEngine(sfu.Config{ICEInterfaces: []string{"lo"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// publish starts a media publisher in room and waits until it is connected.
func publish(t testing.TB, e *sfu.Engine, room, dir string, h264 bool) *synth.MediaPublisher {
	t.Helper()
	a, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := synth.NewMediaPublisher(a, dir, h264)
	if err != nil {
		t.Fatal(err)
	}
	offer, err := p.Offer()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := e.Publish(ctx, sfu.PublishRequest{Room: room, OfferSDP: offer})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(s.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	if err := synth.WaitConnected(ctx, p.PeerConnection()); err != nil {
		t.Fatal(err)
	}
	return p
}

type probePacket struct {
	Stream int    `json:"stream_index"`
	PTS    string `json:"pts_time"`
	Flags  string `json:"flags"`
	Size   string `json:"size"`
}

func (p probePacket) at() float64 { f, _ := strconv.ParseFloat(p.PTS, 64); return f }

type probe struct {
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
	Streams []struct {
		Index int    `json:"index"`
		Codec string `json:"codec_name"`
		Type  string `json:"codec_type"`
	} `json:"streams"`
	Packets []probePacket `json:"packets"`
	Frames  []struct {
		Width int `json:"width"`
	} `json:"frames"`
}

// ffprobe runs Debian's ffprobe on path.
func ffprobe(t *testing.T, path string, args ...string) probe {
	t.Helper()
	args = append([]string{"-v", "error", "-of", "json"}, args...)
	out, err := exec.Command("ffprobe", append(args, path)...).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRecordedShow records a 30 s show from a real Pion publisher sending
// ffmpeg-encoded simulcast video (two layers) and Opus: the top layer stops
// at 6 s and comes back at 11 s (two layer switches), the publisher leaves
// at 17 s and a new one comes back at 21 s (a pause). ffprobe must read
// one file of the show's length starting on a keyframe, both layers'
// pictures must decode without an error, audio and video must start
// together after the pause, and the pause must be one gap.
func TestRecordedShow(t *testing.T) {
	dir := mediaDir(t)
	for _, tc := range []struct {
		name string
		h264 bool
		want string
	}{{"VP8", false, "vp8"}, {"H264", true, "h264"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t)
			tap, err := e.Tap("show", 4096)
			if err != nil {
				t.Fatal(err)
			}
			defer tap.Close()
			sink := &memSink{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- record.New(tap, sink, record.Options{}).Run(ctx) }()

			p := publish(t, e, "show", dir, tc.h264)
			begin := time.Now()
			at := func(s float64) { time.Sleep(time.Until(begin.Add(time.Duration(s * float64(time.Second))))) }
			at(6)
			p.PauseLayer(1, true)
			at(11)
			p.PauseLayer(1, false)
			at(17)
			_ = p.Close()
			at(21)
			p2 := publish(t, e, "show", dir, tc.h264)
			defer p2.Close()
			at(30)
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			show := time.Since(begin).Seconds()
			if tap.Dropped() != 0 {
				t.Errorf("tap dropped %d packets", tap.Dropped())
			}

			path := filepath.Join(t.TempDir(), "show.mkv")
			if err := os.WriteFile(path, sink.file(t), 0o644); err != nil {
				t.Fatal(err)
			}
			if keep := os.Getenv("LIVESELL_KEEP_RECORDING"); keep != "" {
				_ = os.WriteFile(filepath.Join(keep, "show-"+tc.name+".mkv"), sink.file(t), 0o644)
			}
			pr := ffprobe(t, path, "-show_format", "-show_streams", "-show_packets")
			dur, _ := strconv.ParseFloat(pr.Format.Duration, 64)
			t.Logf("%s: %d segments, duration %.3f s (show %.3f s), %d packets", tc.name, sink.segments(), dur, show, len(pr.Packets))
			if dur < show-1 || dur > show+1 {
				t.Errorf("duration %.3f s, want the show's %.3f s ± 1 s", dur, show)
			}
			if len(pr.Streams) != 2 || pr.Streams[0].Codec != tc.want || pr.Streams[1].Codec != "opus" {
				t.Fatalf("streams %+v, want %s and opus", pr.Streams, tc.want)
			}
			checkPackets(t, pr.Packets, dur)
			if len(sink.segs) < 5 {
				t.Errorf("%d segments, want one every ~4 s", len(sink.segs))
			}
			var gaps []record.Gap
			for _, s := range sink.segs {
				gaps = append(gaps, s.Gaps...)
			}
			if len(gaps) != 1 || gaps[0].ToMs-gaps[0].FromMs < 3000 || gaps[0].ToMs-gaps[0].FromMs > 6000 {
				t.Errorf("gaps %+v, want one of about 4 s (the pause)", gaps)
			}

			// Every picture decodes, and both layers' sizes are in it.
			if out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough", "-enc_time_base", "-1", "-f", "null", "-").CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("ffmpeg decode: %v: %s", err, out)
			}
			fr := ffprobe(t, path, "-select_streams", "v", "-show_entries", "frame=width")
			widths := map[int]int{}
			for _, f := range fr.Frames {
				widths[f.Width]++
			}
			if widths[640] == 0 || widths[320] == 0 {
				t.Errorf("decoded frame widths %v, want both layers (640 and 320)", widths)
			}
		})
	}
}

// checkPackets: a keyframe first at 0, audio and video within 50 ms of
// each other at the start, after the pause and at the end.
func checkPackets(t *testing.T, pkts []probePacket, dur float64) {
	t.Helper()
	var video, audio []probePacket
	for _, p := range pkts {
		if p.Stream == 0 {
			video = append(video, p)
		} else if p.Size != "3" { // not the silence that fills the pause
			audio = append(audio, p)
		}
	}
	if len(video) == 0 || len(audio) == 0 {
		t.Fatalf("%d video and %d audio packets", len(video), len(audio))
	}
	if v := video[0]; v.at() != 0 || len(v.Flags) == 0 || v.Flags[0] != 'K' {
		t.Errorf("first video packet %+v, want a keyframe at 0", v)
	}
	near := func(what string, a, b float64) {
		t.Logf("%s: audio %.3f s, video %.3f s (%+.0f ms)", what, a, b, (a-b)*1000)
		if d := a - b; d > 0.05 || d < -0.05 {
			t.Errorf("%s: audio at %.3f s, video at %.3f s: %.0f ms apart, want within 50 ms", what, a, b, d*1000)
		}
	}
	near("start", audio[0].at(), video[0].at())
	near("end", audio[len(audio)-1].at(), video[len(video)-1].at())
	resume := func(ps []probePacket) float64 {
		for i := 1; i < len(ps); i++ {
			if ps[i].at()-ps[i-1].at() > 1.5 {
				return ps[i].at()
			}
		}
		return -1
	}
	rv, ra := resume(video), resume(audio)
	if rv < 0 || ra < 0 {
		t.Fatalf("no pause found (video resumes at %.3f, audio at %.3f)", rv, ra)
	}
	near("after the pause", ra, rv)
}
