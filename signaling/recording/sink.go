package recording

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/livesell/livesell/sfu/record"
)

// sink stores one recording as it comes: the header, then every segment
// and the manifest after it (so a crash keeps every segment written).
type sink struct {
	st  Store
	rec Recording

	uploaded atomic.Int64 // bytes put, for the upload rate
	putNanos atomic.Int64 // time spent putting
}

func newSink(st Store, room string, now time.Time) *sink {
	return &sink{st: st, rec: Recording{ID: newID(now), Room: room, State: StateRecording, StartedAt: now.UTC()}}
}

func (s *sink) put(ctx context.Context, key string, b []byte) error {
	t := time.Now()
	err := s.st.Put(ctx, key, b)
	s.putNanos.Add(int64(time.Since(t)))
	s.uploaded.Add(int64(len(b)))
	return err
}

// Header implements record.Sink.
func (s *sink) Header(ctx context.Context, start time.Time, t record.Tracks, h []byte) error {
	s.rec.StartedAt, s.rec.Tracks = start.UTC(), t
	s.rec.Codecs = Codecs{Video: t.Video, Audio: t.Audio}
	s.rec.MIME = t.MIME()
	s.rec.HeaderBytes = int64(len(h))
	if err := s.put(ctx, headerKey(s.rec.Room, s.rec.ID), h); err != nil {
		return err
	}
	return s.saveManifest(ctx)
}

// Segment implements record.Sink.
func (s *sink) Segment(ctx context.Context, seg record.Segment) error {
	if err := s.put(ctx, segmentKey(s.rec.Room, s.rec.ID, seg.Seq), seg.Data); err != nil {
		return err
	}
	s.rec.Segments = append(s.rec.Segments, SegmentInfo{Seq: seg.Seq, StartMs: seg.StartMs, EndMs: seg.EndMs, Bytes: int64(len(seg.Data))})
	s.rec.Gaps = append(s.rec.Gaps, seg.Gaps...)
	s.rec.DurationMs = seg.EndMs
	s.rec.Bytes += int64(len(seg.Data))
	return s.saveManifest(ctx)
}

func (s *sink) saveManifest(ctx context.Context) error {
	b := s.rec
	b.Bytes += b.HeaderBytes
	t := time.Now()
	err := saveManifest(ctx, s.st, b)
	s.putNanos.Add(int64(time.Since(t)))
	return err
}

// finish marks the recording complete.
func (s *sink) finish(ctx context.Context, at time.Time) error {
	if s.rec.HeaderBytes == 0 {
		return nil // nothing was recorded (no keyframe ever came)
	}
	end := at.UTC()
	s.rec.State, s.rec.EndedAt = StateComplete, &end
	return s.saveManifest(ctx)
}
