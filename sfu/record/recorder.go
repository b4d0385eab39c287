// Package record turns a tapped room's RTP packets into a recording without
// decoding anything: packets reordered and depacketized by Pion's sample
// builder and codec depacketizers, frames stamped on the wall clock, cut into
// segments on video keyframes, each segment a run of Matroska clusters that
// follows the recording's header. Header + segments, concatenated, is a
// WebM file (VP8/VP9 + Opus) or a Matroska file (H.264 + Opus) that
// Chromium and ffmpeg play. Where the bytes go is the Sink's business.
package record

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/livesell/livesell/sfu"
)

// Source is what a Recorder reads: an *sfu.Tap.
type Source interface {
	Packets() <-chan *sfu.TapPacket
	RequestKeyframe()
}

// Gap is a stretch of the timeline without video (a paused show), in
// milliseconds of media time.
type Gap struct {
	FromMs int64 `json:"from_ms"`
	ToMs   int64 `json:"to_ms"`
}

// Segment is one finished piece of a recording: clusters starting on a
// video keyframe, in media milliseconds [StartMs, EndMs).
type Segment struct {
	Seq     int
	StartMs int64
	EndMs   int64
	Gaps    []Gap // gaps that begin inside this segment
	Data    []byte
}

// Sink stores a recording. Header is called once, before the first
// Segment; Segment is called for every segment in order, the last one when
// Run returns. Both are called from Run's goroutine.
type Sink interface {
	Header(ctx context.Context, start time.Time, tracks Tracks, header []byte) error
	Segment(ctx context.Context, s Segment) error
}

// Options tune a Recorder; zero values take the defaults.
type Options struct {
	// SegmentTarget is the shortest segment (cut on the first keyframe
	// after it; a keyframe is asked for when it is due). Default 4 s.
	SegmentTarget time.Duration
	Logger        *slog.Logger
}

// Recorder records one room from its Source until its context ends.
type Recorder struct {
	src  Source
	sink Sink
	opt  Options
	log  *slog.Logger

	video, audio track
	seg          segmenter
	addVideo     func(int64, bool, []byte)
}

// New returns a recorder of src into sink.
func New(src Source, sink Sink, o Options) *Recorder {
	if o.SegmentTarget <= 0 {
		o.SegmentTarget = 4 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	r := &Recorder{src: src, sink: sink, opt: o, log: o.Logger}
	r.video.video = true
	r.seg.target = o.SegmentTarget.Milliseconds()
	r.addVideo = r.seg.addVideo(&r.video)
	return r
}

// Run records until ctx ends, then writes the last segment (with a
// context of its own, so that a cancelled recording still keeps its end).
// It returns the first error of the sink.
func (r *Recorder) Run(ctx context.Context) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return r.finish()
		case p := <-r.src.Packets():
			r.handle(p)
		case <-tick.C:
		}
		if err := r.cut(ctx, time.Now().UnixMilli()); err != nil {
			return err
		}
	}
}

func (r *Recorder) handle(p *sfu.TapPacket) {
	defer p.Release()
	if p.Video {
		if codecName(p.MimeType) == "" {
			return
		}
		r.video.push(p, r.addVideo)
		return
	}
	if codecName(p.MimeType) == "opus" {
		r.audio.push(p, r.seg.addAudio)
	}
}

// cut writes the segments that are complete at wall time now, and asks
// for a keyframe when the current segment is due for one.
func (r *Recorder) cut(ctx context.Context, now int64) error {
	for {
		s, ok := r.seg.next(now)
		if !ok {
			break
		}
		if err := r.write(ctx, s); err != nil {
			return err
		}
	}
	if r.seg.dueKeyframe(now, r.video.sb != nil) {
		r.src.RequestKeyframe()
	}
	return nil
}

func (r *Recorder) write(ctx context.Context, s Segment) error {
	if !r.seg.headerDone {
		tr := r.seg.tracks
		h, err := Header(tr, 0, time.UnixMilli(r.seg.origin).UTC())
		if err != nil {
			return err
		}
		if err := r.sink.Header(ctx, time.UnixMilli(r.seg.origin).UTC(), tr, h); err != nil {
			return err
		}
		r.seg.headerDone = true
	}
	return r.sink.Segment(ctx, s)
}

func (r *Recorder) finish() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		select {
		case p := <-r.src.Packets():
			r.handle(p)
			continue
		default:
		}
		break
	}
	r.video.flush(r.addVideo)
	r.audio.flush(r.seg.addAudio)
	if err := r.cut(ctx, 1<<62); err != nil {
		return err
	}
	s, ok := r.seg.last()
	if !ok {
		return nil
	}
	return r.write(ctx, s)
}

// sortFrames orders frames by time, video first at equal times.
func sortFrames(fs []frame) {
	slices.SortStableFunc(fs, func(a, b frame) int {
		if a.pts != b.pts {
			if a.pts < b.pts {
				return -1
			}
			return 1
		}
		return int(a.track) - int(b.track)
	})
}
