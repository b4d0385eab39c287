package record

import (
	"strings"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/livesell/livesell/sfu"
)

// maxLate is how many packets a track's sample builder waits for a missing
// one (reordering, retransmission) before giving its frame up.
const (
	maxLateVideo = 512
	maxLateAudio = 64
)

// track turns one tapped stream (video or audio) into frames stamped in
// wall-clock milliseconds. A new SSRC (a layer switch, a publisher that
// came back) starts a new sample builder and a new timestamp anchor, so the
// media time follows the wall clock across switches and pauses.
type track struct {
	video bool
	codec string // "VP8", "VP9", "H264", "opus"
	sb    *samplebuilder.SampleBuilder

	ssrc     uint32
	fresh    bool  // the anchor is set by the next sample
	anchorAt int64 // unix ms of the packet that started the source
	anchorTs uint32
	clock    uint32
	lastTs   uint32
	ext      int64 // RTP timestamp of the last sample, unwrapped, relative to anchorTs
	lastMs   int64 // unix ms of the last frame
}

// codecName maps a MIME type to the name recordings use.
func codecName(mime string) string {
	switch strings.ToLower(mime) {
	case "video/vp8":
		return "VP8"
	case "video/vp9":
		return "VP9"
	case "video/h264":
		return "H264"
	case "audio/opus":
		return "opus"
	}
	return ""
}

func newDepacketizer(codec string) rtp.Depacketizer {
	switch codec {
	case "VP8":
		return &codecs.VP8Packet{}
	case "VP9":
		return &codecs.VP9Packet{}
	case "H264":
		return &codecs.H264Packet{IsAVC: true}
	}
	return &codecs.OpusPacket{}
}

// push feeds one tapped packet and calls emit for every frame it completes.
func (t *track) push(p *sfu.TapPacket, emit func(unixMs int64, key bool, data []byte)) {
	if t.sb == nil || p.SSRC != t.ssrc || p.Switch {
		t.flush(emit)
		t.codec, t.ssrc, t.clock = codecName(p.MimeType), p.SSRC, max(p.ClockRate, 1)
		late := uint16(maxLateAudio)
		if t.video {
			late = maxLateVideo
		}
		t.sb = samplebuilder.New(late, newDepacketizer(t.codec), t.clock)
		t.fresh, t.anchorAt, t.anchorTs = true, p.ReadAt/1e6, p.Timestamp
	}
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: p.Marker, SequenceNumber: p.SequenceNumber,
		Timestamp: p.Timestamp, SSRC: p.SSRC}, Payload: append([]byte(nil), p.Payload...)}
	t.sb.Push(pkt)
	t.pop(emit)
}

// flush emits what the current sample builder still holds.
func (t *track) flush(emit func(int64, bool, []byte)) {
	if t.sb != nil {
		t.sb.Flush()
		t.pop(emit)
	}
}

func (t *track) pop(emit func(int64, bool, []byte)) {
	for s := t.sb.Pop(); s != nil; s = t.sb.Pop() {
		if len(s.Data) == 0 {
			continue
		}
		if t.fresh {
			t.fresh, t.ext, t.lastTs = false, int64(int32(s.PacketTimestamp-t.anchorTs)), s.PacketTimestamp
			// Continue after the previous source's last frame, never before it.
			if t.anchorAt <= t.lastMs {
				t.anchorAt = t.lastMs + 1
			}
		} else {
			t.ext += int64(int32(s.PacketTimestamp - t.lastTs))
			t.lastTs = s.PacketTimestamp
		}
		ms := t.anchorAt + t.ext*1000/int64(t.clock)
		if ms <= t.lastMs && t.lastMs != 0 {
			ms = t.lastMs + 1 // out of order: keep the track's times increasing
		}
		t.lastMs = ms
		emit(ms, t.keyframe(s.Data), s.Data)
	}
}

func (t *track) keyframe(data []byte) bool {
	switch t.codec {
	case "VP8":
		return data[0]&1 == 0
	case "VP9":
		return len(data) > 0 && data[0]&0xc0 == 0x80 && data[0]&0x0c == 0 // frame marker 2, profile 0-1, shown key frame
	case "H264":
		return h264Keyframe(data)
	}
	return true
}
