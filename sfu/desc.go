package sfu

// desc is the parsed payload descriptor of a packet whose picture ID and
// TL0PICIDX the forwarder rewrites: VP8 or VP9, or neither (H.264, AV1:
// their payloads carry no picture ID).
type desc struct {
	vp8 *vp8Desc
	vp9 *vp9Desc
}

// desc returns the descriptor the reader parsed for the packet.
func (i *pktInfo) desc() desc {
	switch {
	case i.vp8ok:
		return desc{vp8: &i.vp8}
	case i.vp9ok:
		return desc{vp9: &i.vp9}
	}
	return desc{}
}

// descBuf holds a descriptor parsed from a cached or retransmitted packet.
type descBuf struct {
	vp8 vp8Desc
	vp9 vp9Desc
}

// parse parses payload's descriptor for codec k into b.
func (b *descBuf) parse(k codecKind, payload []byte) desc {
	switch {
	case k == codecVP8 && parseVP8(payload, &b.vp8):
		return desc{vp8: &b.vp8}
	case k == codecVP9 && parseVP9(payload, &b.vp9):
		return desc{vp9: &b.vp9}
	}
	return desc{}
}

// fits reports whether there is a descriptor to rewrite and payload,
// rewritten, fits in room bytes.
func (d desc) fits(payload []byte, room int) bool {
	switch {
	case d.vp8 != nil:
		return len(payload)-d.vp8.hdrLen <= room-6
	case d.vp9 != nil:
		return len(payload)+1 <= room
	}
	return false
}

// picture returns the picture ID and TL0PICIDX as the munger reads them.
func (d desc) picture() vp8Desc {
	if d.vp9 != nil {
		return d.vp9.asVP8()
	}
	return *d.vp8
}

// write writes payload to dst with picture ID pic and TL0PICIDX tl0 and
// returns the bytes written. Call only when fits.
func (d desc) write(dst, payload []byte, pic uint16, tl0 uint8) int {
	if d.vp9 != nil {
		return writeVP9(dst, payload, d.vp9, pic, tl0)
	}
	n := writeVP8Desc(dst, d.vp8, pic, tl0)
	return n + copy(dst[n:], payload[d.vp8.hdrLen:])
}
