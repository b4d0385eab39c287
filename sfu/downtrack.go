package sfu

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

var errCodecNotNegotiated = errors.New("sfu: codec not negotiated")

// binding is what Pion hands a downTrack when its sender starts.
type binding struct {
	ssrc   uint32
	pt     uint8
	writer webrtc.TrackLocalWriter
	// The RTX stream (RFC 4588) for retransmissions, when negotiated.
	rtxSSRC uint32
	rtxPT   uint8
}

// downTrack is one outgoing track of a subscriber: a webrtc.TrackLocal that
// writes already rewritten packets with its own SSRC and payload type. Its
// write method is called by one forwarder at a time.
type downTrack struct {
	id, streamID string
	kind         webrtc.RTPCodecType
	codec        webrtc.RTPCodecParameters

	bound atomic.Pointer[binding]
	live  atomic.Bool // the subscriber's transport is connected
	hdr   rtp.Header  // reused for every packet
	sr    srState     // for sender reports (sr.go)

	// Retransmissions, by the subscriber's RTCP reader only.
	rtxHdr rtp.Header
	rtxSeq uint16
	rtxBuf [1602]byte // original sequence number + payload
}

func newDownTrack(kind webrtc.RTPCodecType, codec webrtc.RTPCodecParameters, streamID string) *downTrack {
	return &downTrack{id: kind.String(), streamID: streamID, kind: kind, codec: codec}
}

// Bind implements webrtc.TrackLocal.
func (d *downTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	want := d.codec
	for _, c := range ctx.CodecParameters() {
		if !strings.EqualFold(c.MimeType, want.MimeType) {
			continue
		}
		if kindOfMime(c.MimeType) == codecH264 {
			if m, ok := matchVideoCodec(c.MimeType, c.SDPFmtpLine); !ok || m.PayloadType != want.PayloadType {
				continue
			}
		}
		b := &binding{ssrc: uint32(ctx.SSRC()), pt: uint8(c.PayloadType), writer: ctx.WriteStream()}
		if rtx := uint32(ctx.SSRCRetransmission()); rtx != 0 {
			for _, r := range ctx.CodecParameters() {
				if strings.EqualFold(r.MimeType, webrtc.MimeTypeRTX) && fmtpParam(r.SDPFmtpLine, "apt") == strconv.Itoa(int(c.PayloadType)) {
					b.rtxSSRC, b.rtxPT = rtx, uint8(r.PayloadType)
				}
			}
		}
		d.bound.Store(b)
		return c, nil
	}
	return webrtc.RTPCodecParameters{}, errCodecNotNegotiated
}

// Unbind implements webrtc.TrackLocal.
func (d *downTrack) Unbind(webrtc.TrackLocalContext) error {
	d.bound.Store(nil)
	return nil
}

// ID implements webrtc.TrackLocal.
func (d *downTrack) ID() string { return d.id }

// RID implements webrtc.TrackLocal; outgoing tracks are never simulcast.
func (d *downTrack) RID() string { return "" }

// StreamID implements webrtc.TrackLocal.
func (d *downTrack) StreamID() string { return d.streamID }

// Kind implements webrtc.TrackLocal.
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.kind }

// ready reports whether packets written now reach the subscriber.
func (d *downTrack) ready() bool { return d.live.Load() && d.bound.Load() != nil }

// write sends one rewritten packet, read at now (unix nanoseconds), and
// returns the bytes sent.
func (d *downTrack) write(marker bool, seq uint16, ts uint32, payload []byte, now int64) int {
	b := d.bound.Load()
	if b == nil {
		return 0
	}
	h := &d.hdr
	h.Version = 2
	h.Padding = false
	h.Marker = marker
	h.PayloadType = b.pt
	h.SequenceNumber = seq
	h.Timestamp = ts
	h.SSRC = b.ssrc
	h.CSRC = h.CSRC[:0]
	h.Extension = false
	h.ExtensionProfile = 0
	h.Extensions = h.Extensions[:0]
	h.PaddingSize = 0
	if _, err := b.writer.WriteRTP(h, payload); err != nil {
		return 0
	}
	d.sr.sent(ts, now, len(payload))
	return len(payload) + 12
}

// resend sends a packet again: on the RTX stream when one is negotiated
// (its payload prefixed with the original sequence number), else as it was
// first sent. Called by the subscriber's RTCP reader only.
func (d *downTrack) resend(marker bool, seq uint16, ts uint32, payload []byte) int {
	b := d.bound.Load()
	if b == nil || !d.live.Load() {
		return 0
	}
	h := &d.rtxHdr
	*h = rtp.Header{Version: 2, Marker: marker, PayloadType: b.pt, SequenceNumber: seq, Timestamp: ts, SSRC: b.ssrc,
		CSRC: h.CSRC[:0], Extensions: h.Extensions[:0]}
	rtx := b.rtxSSRC != 0 && len(payload)+2 <= len(d.rtxBuf)
	if rtx {
		d.rtxBuf[0], d.rtxBuf[1] = byte(seq>>8), byte(seq)
		n := 2 + copy(d.rtxBuf[2:], payload)
		payload = d.rtxBuf[:n]
		h.PayloadType, h.SSRC, h.SequenceNumber = b.rtxPT, b.rtxSSRC, d.rtxSeq
		d.rtxSeq++
	}
	if _, err := b.writer.WriteRTP(h, payload); err != nil {
		return 0
	}
	if !rtx {
		d.sr.resent(len(payload))
	}
	return len(payload) + 12
}
