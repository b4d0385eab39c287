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
	anchorAt int64 // unix ms at which the source's RTP time anchorTs was sent (estimated)
	firstAt  int64 // unix ms of the source's first packet
	anchorTs uint32
	clock    uint32
	lastTs   uint32
	ext      int64 // RTP timestamp of the last sample, unwrapped, relative to anchorTs
	lastMs   int64 // unix ms of the last frame
	started  bool  // a frame of this source was popped
	held     []heldFrame
}

// anchorWindow is how long, from a source's first packet, its anchor is
// refined and its frames held (milliseconds).
const anchorWindow = 500

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
	at := p.ReadAt / 1e6
	if t.sb == nil || p.SSRC != t.ssrc || p.Switch {
		t.flush(emit)
		t.codec, t.ssrc, t.clock = codecName(p.MimeType), p.SSRC, max(p.ClockRate, 1)
		late := uint16(maxLateAudio)
		if t.video {
			late = maxLateVideo
		}
		t.sb = samplebuilder.New(late, newDepacketizer(t.codec), t.clock)
		t.fresh, t.started, t.anchorAt, t.anchorTs, t.firstAt = true, false, at, p.Timestamp, at
	} else if at-t.firstAt < anchorWindow {
		// The packet that waited least in the network and the readers tells
		// best when the source's clock started: over the anchor window, the
		// anchor only moves earlier, to the least delayed packet. The
		// window's frames are held until it closes.
		if d := at - t.anchorAt - int64(int32(p.Timestamp-t.anchorTs))*1000/int64(t.clock); d < 0 {
			t.anchorAt += d
		}
	}
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: p.Marker, SequenceNumber: p.SequenceNumber,
		Timestamp: p.Timestamp, SSRC: p.SSRC}, Payload: append([]byte(nil), p.Payload...)}
	t.sb.Push(pkt)
	t.pop()
	if at-t.firstAt >= anchorWindow {
		t.release(emit)
	}
}

// flush emits what the current source still holds.
func (t *track) flush(emit func(int64, bool, []byte)) {
	if t.sb != nil {
		t.sb.Flush()
		t.pop()
		t.release(emit)
	}
}

// heldFrame is a frame waiting for its source's anchor.
type heldFrame struct {
	ext  int64 // RTP time since anchorTs
	key  bool
	data []byte
}

// pop takes the frames the sample builder completed.
func (t *track) pop() {
	for s := t.sb.Pop(); s != nil; s = t.sb.Pop() {
		if len(s.Data) == 0 {
			continue
		}
		if !t.started {
			t.ext, t.lastTs = int64(int32(s.PacketTimestamp-t.anchorTs)), s.PacketTimestamp
		} else {
			t.ext += int64(int32(s.PacketTimestamp - t.lastTs))
			t.lastTs = s.PacketTimestamp
		}
		t.started = true
		t.held = append(t.held, heldFrame{ext: t.ext, key: t.keyframe(s.Data), data: s.Data})
	}
}

// release emits the held frames, stamped from the (now settled) anchor.
func (t *track) release(emit func(int64, bool, []byte)) {
	if len(t.held) == 0 {
		return
	}
	if t.fresh {
		t.fresh = false
		// Continue after the previous source's last frame, never before it.
		if first := t.anchorAt + t.held[0].ext*1000/int64(t.clock); first <= t.lastMs {
			t.anchorAt += t.lastMs + 1 - first
		}
	}
	for _, f := range t.held {
		ms := t.anchorAt + f.ext*1000/int64(t.clock)
		if ms <= t.lastMs && t.lastMs != 0 {
			ms = t.lastMs + 1 // out of order: keep the track's times increasing
		}
		t.lastMs = ms
		emit(ms, f.key, f.data)
	}
	t.held = t.held[:0]
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
