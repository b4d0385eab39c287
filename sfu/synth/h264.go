package synth

import "encoding/binary"

// Parameter sets of a 640x480 constrained-baseline stream (shape only).
var (
	h264SPS = []byte{0x67, 0x42, 0xe0, 0x1f, 0xda, 0x02, 0x80, 0xf6, 0x80, 0x6d, 0x0a, 0x13, 0x50}
	h264PPS = []byte{0x68, 0xce, 0x3c, 0x80}
)

// AppendH264 appends one RTP payload (RFC 6184, packetization mode 1) of an
// H.264 frame: the first packet of a keyframe is a STAP-A with SPS and PPS,
// the other packets are single NAL units (IDR slices in a keyframe, non-IDR
// slices otherwise). Filler pads the last NAL unit to size bytes before the
// tail.
func AppendH264(dst []byte, keyframe, first bool, size int, t Tail) []byte {
	start := len(dst)
	if keyframe && first {
		dst = append(dst, 0x78) // STAP-A
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(h264SPS)))
		dst = append(dst, h264SPS...)
		lenAt := len(dst)
		dst = append(dst, 0, 0)
		dst = append(dst, h264PPS...)
		dst = pad(dst, start, size, t)
		binary.BigEndian.PutUint16(dst[lenAt:], uint16(len(dst)-lenAt-2))
		return dst
	}
	if keyframe {
		dst = append(dst, 0x65, 0x88, 0x84) // IDR slice
	} else {
		dst = append(dst, 0x41, 0x9a, 0x02) // non-IDR slice
	}
	return pad(dst, start, size, t)
}

// pad fills the payload that began at dst[start] with filler up to size
// bytes, ending in the tail (shared by the VP8 and H.264 generators).
func pad(dst []byte, start, size int, t Tail) []byte {
	for len(dst)-start < size-TailLen {
		dst = append(dst, 0x55)
	}
	var tb [TailLen]byte
	tb[0] = tailMagic
	tb[1] = t.Gen
	tb[2] = t.Layer
	tb[3] = t.Packet
	binary.BigEndian.PutUint32(tb[4:], t.Frame)
	binary.BigEndian.PutUint64(tb[8:], uint64(t.SentNs))
	return append(dst, tb[:]...)
}

// IsH264Keyframe reports whether an H.264 payload carries an SPS or an IDR
// slice, or starts an IDR fragment.
func IsH264Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	switch p[0] & 0x1f {
	case 5, 7:
		return true
	case 24:
		for i := 1; i+2 < len(p); {
			n := int(binary.BigEndian.Uint16(p[i:]))
			i += 2
			if n == 0 || i+n > len(p) {
				return false
			}
			if t := p[i] & 0x1f; t == 5 || t == 7 {
				return true
			}
			i += n
		}
	case 28:
		return len(p) > 1 && p[1]&0x80 != 0 && p[1]&0x1f == 5
	}
	return false
}
