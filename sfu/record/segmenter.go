package record

// Timing rules of the segmenter, in milliseconds.
const (
	videoGap   = 1500 // video silent this long: a gap in the timeline (a pause)
	audioGap   = 100  // audio silent this long: filled with silent Opus frames
	opusFrame  = 20
	audioGrace = 1500 // how long a cut waits for the audio to catch up with it
	keyEvery   = 1000 // at most one keyframe request per second
)

// opusSilence is one 20 ms Opus frame of silence (CELT, fullband): written
// where a paused show has no audio, so that players keep the audio clock
// and the video in step across the gap.
var opusSilence = []byte{0xf8, 0xff, 0xfe}

// segmenter collects the frames of both tracks, in media milliseconds
// from the first video keyframe (origin), and cuts them into segments on
// video keyframes. One goroutine (the Recorder's) owns it.
type segmenter struct {
	target     int64
	origin     int64 // unix ms of media time 0; 0 until the first keyframe
	tracks     Tracks
	headerDone bool

	pending  []frame
	cuts     []int64 // keyframe times that end the current segment
	segStart int64
	seq      int
	gaps     []Gap

	videoSeen, audioSeen bool
	lastVideo, lastAudio int64
	lastKeyReq           int64
	lateAudio            int
}

// addVideo takes one frame of the video track t.
func (s *segmenter) addVideo(t *track) func(int64, bool, []byte) {
	return func(ms int64, key bool, data []byte) {
		if s.origin == 0 {
			if !key || !s.start(t.codec, data) {
				return
			}
			s.origin = ms
		}
		rel := ms - s.origin
		if rel < 0 || (s.videoSeen && rel <= s.lastVideo) {
			return
		}
		if s.videoSeen && rel-s.lastVideo > videoGap {
			s.gaps = append(s.gaps, Gap{FromMs: s.lastVideo + 33, ToMs: rel})
		}
		s.videoSeen, s.lastVideo = true, rel
		if key && rel-s.segStart >= s.target && (len(s.cuts) == 0 || rel-s.cuts[len(s.cuts)-1] >= s.target) {
			s.cuts = append(s.cuts, rel)
		}
		s.pending = append(s.pending, frame{track: videoTrack, pts: rel, key: key, data: data})
	}
}

// start fills the video track's description from its first keyframe.
func (s *segmenter) start(codec string, key []byte) bool {
	tr := Tracks{Video: codec}
	switch codec {
	case "VP8":
		tr.Width, tr.Height, _ = vp8Size(key)
	case "H264":
		sps, pps := h264Params(key)
		if sps == nil || pps == nil || len(sps) < 4 {
			return false // wait for a keyframe that carries its parameter sets
		}
		tr.CodecConfig = avcConfig(sps, pps)
		tr.Width, tr.Height, _ = spsSize(sps)
	case "VP9":
	default:
		return false
	}
	s.tracks = tr
	return true
}

// addAudio takes one Opus frame.
func (s *segmenter) addAudio(ms int64, _ bool, data []byte) {
	if s.origin == 0 || (s.headerDone && s.tracks.Audio == "") {
		return
	}
	rel := ms - s.origin
	if rel < s.segStart || (s.audioSeen && rel <= s.lastAudio) {
		s.lateAudio++
		return
	}
	s.tracks.Audio = "opus"
	if s.audioSeen && rel-s.lastAudio > audioGap {
		for t := s.lastAudio + opusFrame; t <= rel-opusFrame; t += opusFrame {
			s.pending = append(s.pending, frame{track: audioTrack, pts: t, key: true, data: opusSilence})
		}
	}
	s.audioSeen, s.lastAudio = true, rel
	s.pending = append(s.pending, frame{track: audioTrack, pts: rel, key: true, data: data})
}

// next returns the next complete segment at wall time now (unix ms): one
// ending on a keyframe cut that the audio has caught up with.
func (s *segmenter) next(now int64) (Segment, bool) {
	if len(s.cuts) == 0 {
		return Segment{}, false
	}
	k := s.cuts[0]
	if s.audioSeen && s.lastAudio < k && now-(s.origin+k) < audioGrace {
		return Segment{}, false
	}
	s.cuts = s.cuts[1:]
	return s.take(k, k), true
}

// last returns what is left as the final segment.
func (s *segmenter) last() (Segment, bool) {
	if len(s.pending) == 0 {
		return Segment{}, false
	}
	end := int64(0)
	for _, f := range s.pending {
		d := int64(33)
		if f.track == audioTrack {
			d = opusFrame
		}
		end = max(end, f.pts+d)
	}
	return s.take(1<<62, end), true
}

// take cuts the pending frames before k into a segment ending at end.
func (s *segmenter) take(k, end int64) Segment {
	sortFrames(s.pending)
	n := 0
	for n < len(s.pending) && s.pending[n].pts < k {
		n++
	}
	seg := Segment{Seq: s.seq, StartMs: s.segStart, EndMs: end}
	data, err := clusters(s.pending[:n])
	if err == nil {
		seg.Data = data
	}
	rest := s.pending[n:]
	s.pending = append(s.pending[:0:0], rest...)
	for len(s.gaps) > 0 && s.gaps[0].FromMs < end {
		seg.Gaps = append(seg.Gaps, s.gaps[0])
		s.gaps = s.gaps[1:]
	}
	s.seq++
	s.segStart = end
	return seg
}

// dueKeyframe reports whether to ask for a keyframe now (unix ms): the
// segment is long enough and no cut is waiting.
func (s *segmenter) dueKeyframe(now int64, videoSeen bool) bool {
	if s.origin == 0 && videoSeen && now-s.lastKeyReq >= keyEvery { // waiting for the first keyframe
		s.lastKeyReq = now
		return true
	}
	if s.origin == 0 || len(s.cuts) > 0 || s.lastVideo-s.segStart < s.target || now-s.lastKeyReq < keyEvery {
		return false
	}
	s.lastKeyReq = now
	return true
}
