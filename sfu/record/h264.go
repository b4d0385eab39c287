package record

import (
	"encoding/binary"
	"errors"
)

var errSPS = errors.New("record: malformed H.264 SPS")

// avcNALs calls fn for every NAL unit of an AVC (4-byte length-prefixed)
// access unit; it stops at the first malformed length.
func avcNALs(au []byte, fn func(nal []byte)) {
	for len(au) >= 4 {
		n := int(binary.BigEndian.Uint32(au))
		au = au[4:]
		if n <= 0 || n > len(au) {
			return
		}
		fn(au[:n])
		au = au[n:]
	}
}

// h264Keyframe reports whether an AVC access unit holds an IDR slice.
func h264Keyframe(au []byte) bool {
	key := false
	avcNALs(au, func(nal []byte) { key = key || nal[0]&0x1f == 5 })
	return key
}

// h264Params returns the first SPS and PPS of an AVC access unit.
func h264Params(au []byte) (sps, pps []byte) {
	avcNALs(au, func(nal []byte) {
		switch nal[0] & 0x1f {
		case 7:
			if sps == nil {
				sps = nal
			}
		case 8:
			if pps == nil {
				pps = nal
			}
		}
	})
	return sps, pps
}

// avcConfig builds an AVCDecoderConfigurationRecord (ISO/IEC 14496-15
// 5.2.4.1) from one SPS and one PPS, NAL lengths on 4 bytes.
func avcConfig(sps, pps []byte) []byte {
	b := []byte{1, sps[1], sps[2], sps[3], 0xff, 0xe1}
	b = binary.BigEndian.AppendUint16(b, uint16(len(sps)))
	b = append(b, sps...)
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(pps)))
	return append(b, pps...)
}

// bitReader reads an RBSP (emulation prevention bytes removed) bit by bit.
type bitReader struct {
	b   []byte
	pos int // in bits
	err error
}

func (r *bitReader) bit() uint32 {
	if r.pos >= 8*len(r.b) {
		r.err = errSPS
		return 0
	}
	v := uint32(r.b[r.pos/8]>>(7-r.pos%8)) & 1
	r.pos++
	return v
}

func (r *bitReader) bits(n int) uint32 {
	var v uint32
	for range n {
		v = v<<1 | r.bit()
	}
	return v
}

// ue reads an unsigned Exp-Golomb code.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.bit() == 0 {
		if zeros++; zeros > 31 || r.err != nil {
			r.err = errSPS
			return 0
		}
	}
	return 1<<zeros - 1 + r.bits(zeros)
}

func (r *bitReader) se() int32 {
	v := r.ue()
	if v&1 == 1 {
		return int32((v + 1) / 2)
	}
	return -int32(v / 2)
}

// unescape removes the emulation prevention bytes (00 00 03) of a NAL unit.
func unescape(nal []byte) []byte {
	out := make([]byte, 0, len(nal))
	zeros := 0
	for _, c := range nal {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// spsSize returns the picture size an H.264 SPS declares (ITU-T H.264
// 7.3.2.1.1), cropping applied. SPSs with scaling matrices are refused.
func spsSize(sps []byte) (w, h int, err error) {
	if len(sps) < 4 {
		return 0, 0, errSPS
	}
	r := &bitReader{b: unescape(sps[1:])}
	profile := r.bits(8)
	r.bits(16) // constraint flags, level
	r.ue()     // sps id
	chroma := uint32(1)
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		if chroma = r.ue(); chroma == 3 {
			r.bit()
		}
		r.ue() // bit depth luma
		r.ue() // bit depth chroma
		r.bit()
		if r.bit() == 1 {
			return 0, 0, errors.New("record: H.264 SPS with scaling matrices")
		}
	}
	r.ue() // log2_max_frame_num_minus4
	switch r.ue() {
	case 0:
		r.ue()
	case 1:
		r.bit()
		r.se()
		r.se()
		n := r.ue()
		if n > 255 {
			return 0, 0, errSPS
		}
		for range n {
			r.se()
		}
	}
	r.ue() // max_num_ref_frames
	r.bit()
	wmb := r.ue() + 1
	hmu := r.ue() + 1
	frameMbsOnly := r.bit()
	if frameMbsOnly == 0 {
		r.bit()
	}
	r.bit()
	var cl, cr, ct, cb uint32
	if r.bit() == 1 {
		cl, cr, ct, cb = r.ue(), r.ue(), r.ue(), r.ue()
	}
	if r.err != nil || wmb > 1024 || hmu > 1024 {
		return 0, 0, errSPS
	}
	cx, cy := uint32(1), 2-frameMbsOnly
	if chroma == 1 || chroma == 2 {
		cx = 2
	}
	if chroma == 1 {
		cy *= 2
	}
	w = int(wmb*16) - int(cx*(cl+cr))
	h = int((2-frameMbsOnly)*hmu*16) - int(cy*(ct+cb))
	if w <= 0 || h <= 0 {
		return 0, 0, errSPS
	}
	return w, h, nil
}

// vp8Size returns the picture size of a VP8 keyframe (RFC 6386 9.1).
func vp8Size(f []byte) (w, h int, ok bool) {
	if len(f) < 10 || f[0]&1 != 0 || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a {
		return 0, 0, false
	}
	return int(binary.LittleEndian.Uint16(f[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(f[8:]) & 0x3fff), true
}
