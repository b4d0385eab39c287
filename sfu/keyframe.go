package sfu

// H.264 NAL unit types (RFC 6184).
const (
	naluIDR   = 5
	naluSPS   = 7
	naluSTAPA = 24
	naluFUA   = 28
)

// isH264Keyframe reports whether an H.264 RTP payload (RFC 6184,
// packetization mode 1) starts a keyframe: it carries an SPS or IDR NAL unit,
// or is the first fragment of an IDR.
func isH264Keyframe(payload []byte) bool {
	if len(payload) < 1 {
		return false
	}
	switch t := payload[0] & 0x1f; t {
	case naluIDR, naluSPS:
		return true
	case naluSTAPA:
		for i := 1; i+2 < len(payload); {
			size := int(payload[i])<<8 | int(payload[i+1])
			i += 2
			if size == 0 || i+size > len(payload) {
				return false
			}
			if nt := payload[i] & 0x1f; nt == naluIDR || nt == naluSPS {
				return true
			}
			i += size
		}
	case naluFUA:
		if len(payload) < 2 {
			return false
		}
		start := payload[1]&0x80 != 0
		nt := payload[1] & 0x1f
		return start && (nt == naluIDR || nt == naluSPS)
	}
	return false
}

// isVP9Keyframe reports whether a VP9 RTP payload (RFC 9628) is the first
// packet of a keyframe: not inter-predicted (P=0) and beginning a frame (B=1).
func isVP9Keyframe(payload []byte) bool {
	return len(payload) > 0 && payload[0]&0x40 == 0 && payload[0]&0x08 != 0
}

// isAV1Keyframe reports whether an AV1 RTP payload starts a new coded video
// sequence (N bit of the aggregation header), which begins with a keyframe.
func isAV1Keyframe(payload []byte) bool {
	return len(payload) > 0 && payload[0]&0x08 != 0
}

// isKeyframe dispatches to the detector of codec k.
func isKeyframe(k codecKind, payload []byte) bool {
	switch k {
	case codecVP8:
		return isVP8Keyframe(payload)
	case codecH264:
		return isH264Keyframe(payload)
	case codecVP9:
		return isVP9Keyframe(payload)
	case codecAV1:
		return isAV1Keyframe(payload)
	case codecOpus:
		return true
	}
	return false
}
