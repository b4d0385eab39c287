package synth

import "encoding/binary"

// TailLen is the size of the Tail at the end of every synthetic VP8 payload.
const TailLen = 16

const tailMagic = 0xA5

// Tail identifies a synthetic video packet.
type Tail struct {
	Gen    uint8  // publisher generation (lets tests tell publishers apart)
	Layer  uint8  // layer index, 0 = lowest
	Packet uint8  // packet index within the frame
	Frame  uint32 // frame number within the layer
	SentNs int64  // sender's clock when the packet was built (unix ns)
}

// AppendVP8 appends one RTP payload of a VP8 frame: descriptor (15-bit
// picture ID and TL0PICIDX), the VP8 frame header on a frame's first packet,
// filler up to size bytes, and the tail.
func AppendVP8(dst []byte, keyframe, first bool, picID uint16, tl0 uint8, size int, t Tail) []byte {
	start := len(dst)
	b0 := byte(0x80) // X
	if first {
		b0 |= 0x10 // S, partition 0
	}
	dst = append(dst, b0, 0x80|0x40, 0x80|byte(picID>>8)&0x7f, byte(picID), tl0)
	if first {
		// Frame tag (RFC 6386 9.1): bit 0 inverse key frame flag, show_frame
		// bit 4, first partition size in the upper 19 bits.
		var tag uint32 = 1 << 4
		tag |= 100 << 5
		if !keyframe {
			tag |= 1
		}
		dst = append(dst, byte(tag), byte(tag>>8), byte(tag>>16))
		if keyframe {
			dst = append(dst, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01) // start code, 640x480
		}
	}
	return pad(dst, start, size, t)
}

// ParseTail reads the tail of a synthetic payload.
func ParseTail(payload []byte) (Tail, bool) {
	if len(payload) < TailLen {
		return Tail{}, false
	}
	tb := payload[len(payload)-TailLen:]
	if tb[0] != tailMagic {
		return Tail{}, false
	}
	return Tail{
		Gen: tb[1], Layer: tb[2], Packet: tb[3],
		Frame:  binary.BigEndian.Uint32(tb[4:]),
		SentNs: int64(binary.BigEndian.Uint64(tb[8:])),
	}, true
}

// VP8Info is what a viewer needs from a VP8 payload descriptor.
type VP8Info struct {
	Keyframe bool // first packet of a keyframe
	Start    bool // first packet of a frame
	PicID    uint16
	HasPicID bool
}

// ParseVP8 parses the descriptor of a VP8 payload.
func ParseVP8(p []byte) (VP8Info, bool) {
	var v VP8Info
	if len(p) < 1 {
		return v, false
	}
	i := 1
	if p[0]&0x80 != 0 {
		if len(p) < 2 {
			return v, false
		}
		x := p[1]
		i = 2
		if x&0x80 != 0 {
			if len(p) < i+1 {
				return v, false
			}
			v.HasPicID = true
			if p[i]&0x80 != 0 {
				if len(p) < i+2 {
					return v, false
				}
				v.PicID = uint16(p[i]&0x7f)<<8 | uint16(p[i+1])
				i += 2
			} else {
				v.PicID = uint16(p[i])
				i++
			}
		}
		if x&0x40 != 0 {
			i++
		}
		if x&0x30 != 0 {
			i++
		}
	}
	if len(p) <= i {
		return v, false
	}
	v.Start = p[0]&0x10 != 0 && p[0]&0x07 == 0
	v.Keyframe = v.Start && p[i]&0x01 == 0
	return v, true
}
