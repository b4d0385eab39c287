package sfu

// vp8Desc is the parsed VP8 payload descriptor (RFC 7741 section 4.2) of one
// RTP packet. Only the fields the SFU rewrites or inspects are kept.
type vp8Desc struct {
	hdrLen   int   // bytes of descriptor before the VP8 payload
	nonRef   bool  // N bit
	start    bool  // S bit set and partition index 0: first packet of a frame
	keyframe bool  // start of a keyframe (P bit of the payload header is 0)
	pid      uint8 // partition index

	hasPicID  bool
	picID15   bool // picture ID was sent in its 15-bit form
	picID     uint16
	hasTL0    bool
	tl0PicIdx uint8
	hasTK     bool
	tkBits    uint8 // T and K bits of the extension byte
	tkByte    uint8 // TID|Y|KEYIDX byte, copied as is
	sBit      bool  // S bit: start of a VP8 partition
}

// parseVP8 parses the payload descriptor at the start of payload. It returns
// false for a payload too short to hold the descriptor it announces.
func parseVP8(payload []byte, d *vp8Desc) bool {
	*d = vp8Desc{}
	if len(payload) < 1 {
		return false
	}
	b0 := payload[0]
	d.nonRef = b0&0x20 != 0
	s := b0&0x10 != 0
	d.sBit = s
	d.pid = b0 & 0x07
	i := 1
	if b0&0x80 != 0 { // X: extension byte follows
		if len(payload) < 2 {
			return false
		}
		x := payload[1]
		i = 2
		if x&0x80 != 0 { // I: picture ID
			if len(payload) < i+1 {
				return false
			}
			d.hasPicID = true
			if payload[i]&0x80 != 0 {
				if len(payload) < i+2 {
					return false
				}
				d.picID15 = true
				d.picID = uint16(payload[i]&0x7f)<<8 | uint16(payload[i+1])
				i += 2
			} else {
				d.picID = uint16(payload[i])
				i++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			if len(payload) < i+1 {
				return false
			}
			d.hasTL0 = true
			d.tl0PicIdx = payload[i]
			i++
		}
		if x&0x30 != 0 { // T or K: TID/Y/KEYIDX byte
			if len(payload) < i+1 {
				return false
			}
			d.hasTK = true
			d.tkBits = x & 0x30
			d.tkByte = payload[i]
			i++
		}
	}
	d.hdrLen = i
	d.start = s && d.pid == 0
	// The VP8 payload header's first byte has the inverse key frame flag in
	// bit 0 (RFC 6386 section 9.1); it is only present in a frame's first packet.
	d.keyframe = d.start && len(payload) > i && payload[i]&0x01 == 0
	return true
}

// isVP8Keyframe reports whether payload is the first packet of a VP8 keyframe.
func isVP8Keyframe(payload []byte) bool {
	var d vp8Desc
	return parseVP8(payload, &d) && d.keyframe
}

// writeVP8Desc writes d's descriptor into dst with picture ID pic (always in
// its 15-bit form) and TL0PICIDX tl0, and returns the number of bytes written.
// dst must have room for 6 bytes.
func writeVP8Desc(dst []byte, d *vp8Desc, pic uint16, tl0 uint8) int {
	b0 := d.pid
	if d.nonRef {
		b0 |= 0x20
	}
	if d.sBit {
		b0 |= 0x10
	}
	var x byte
	if d.hasPicID {
		x |= 0x80
	}
	if d.hasTL0 {
		x |= 0x40
	}
	if d.hasTK {
		x |= d.tkBits
	}
	if x == 0 {
		dst[0] = b0
		return 1
	}
	dst[0] = b0 | 0x80
	dst[1] = x
	i := 2
	if d.hasPicID {
		dst[i] = 0x80 | byte(pic>>8)&0x7f
		dst[i+1] = byte(pic)
		i += 2
	}
	if d.hasTL0 {
		dst[i] = tl0
		i++
	}
	if d.hasTK {
		dst[i] = d.tkByte
		i++
	}
	return i
}
