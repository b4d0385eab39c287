package sfu

// vp9Desc locates the fields the SFU rewrites in a VP9 payload descriptor
// (RFC 9628 section 4.2): the picture ID and, in non-flexible mode, the
// TL0PICIDX. The rest of the descriptor is forwarded as is.
type vp9Desc struct {
	picOff  int // offset of the picture ID; 0 when absent (I bit clear)
	picID15 bool
	picID   uint16
	tl0Off  int // offset of TL0PICIDX; 0 when absent
	tl0     uint8
}

// parseVP9 parses the start of a VP9 payload descriptor. It returns false
// for a payload too short to hold the fields it announces.
func parseVP9(payload []byte, d *vp9Desc) bool {
	*d = vp9Desc{}
	if len(payload) < 1 {
		return false
	}
	b0 := payload[0]
	i := 1
	if b0&0x80 != 0 { // I: picture ID, M bit first
		if len(payload) < 2 {
			return false
		}
		d.picOff = 1
		if payload[1]&0x80 != 0 {
			if len(payload) < 3 {
				return false
			}
			d.picID15 = true
			d.picID = uint16(payload[1]&0x7f)<<8 | uint16(payload[2])
			i = 3
		} else {
			d.picID = uint16(payload[1])
			i = 2
		}
	}
	if b0&0x20 != 0 { // L: layer indices
		if len(payload) < i+1 {
			return false
		}
		i++
		if b0&0x10 == 0 { // F clear: non-flexible mode carries TL0PICIDX
			if len(payload) < i+1 {
				return false
			}
			d.tl0Off, d.tl0 = i, payload[i]
		}
	}
	return true
}

// asVP8 presents d's picture ID and TL0PICIDX as the munger expects them.
func (d *vp9Desc) asVP8() vp8Desc {
	return vp8Desc{hasPicID: d.picOff > 0, picID15: d.picID15, picID: d.picID, hasTL0: d.tl0Off > 0, tl0PicIdx: d.tl0}
}

// writeVP9 writes payload to dst with picture ID pic (always in its 15-bit
// form) and TL0PICIDX tl0, and returns the bytes written. dst must have
// room for len(payload)+1 bytes.
func writeVP9(dst, payload []byte, d *vp9Desc, pic uint16, tl0 uint8) int {
	if d.picOff == 0 {
		n := copy(dst, payload)
		if d.tl0Off > 0 {
			dst[d.tl0Off] = tl0
		}
		return n
	}
	old := 2 // end of the picture ID as received
	if d.picID15 {
		old = 3
	}
	dst[0] = payload[0]
	dst[1], dst[2] = 0x80|byte(pic>>8)&0x7f, byte(pic)
	n := 3 + copy(dst[3:], payload[old:])
	if d.tl0Off > 0 {
		dst[d.tl0Off+3-old] = tl0
	}
	return n
}
