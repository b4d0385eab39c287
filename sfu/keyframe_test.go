package sfu

import (
	"bytes"
	"testing"

	"github.com/livesell/livesell/sfu/synth"
)

func TestVP8Descriptor(t *testing.T) {
	key := synth.AppendVP8(nil, true, true, 1234, 9, 200, synth.Tail{})
	delta := synth.AppendVP8(nil, false, true, 1235, 10, 200, synth.Tail{})
	cont := synth.AppendVP8(nil, true, false, 1234, 9, 200, synth.Tail{})
	tests := []struct {
		name    string
		payload []byte
		ok, kf  bool
		pic     uint16
		picLong bool
		hdrLen  int
		hasTL0  bool
		tl0     uint8
	}{
		{"synthetic keyframe", key, true, true, 1234, true, 5, true, 9},
		{"synthetic delta frame", delta, true, false, 1235, true, 5, true, 10},
		{"continuation of a keyframe", cont, true, false, 1234, true, 5, true, 9},
		{"no extension, keyframe", []byte{0x10, 0x00, 0x00, 0x00}, true, true, 0, false, 1, false, 0},
		{"no extension, delta", []byte{0x10, 0x01, 0x00, 0x00}, true, false, 0, false, 1, false, 0},
		{"7-bit picture id", []byte{0x90, 0x80, 0x11, 0x00}, true, true, 0x11, false, 3, false, 0},
		{"partition 1 is not a frame start", []byte{0x11, 0x00}, true, false, 0, false, 1, false, 0},
		{"descriptor only", []byte{0x10}, true, false, 0, false, 1, false, 0},
		{"truncated picture id", []byte{0x90, 0x80, 0x80}, false, false, 0, false, 0, false, 0},
		{"empty", nil, false, false, 0, false, 0, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d vp8Desc
			ok := parseVP8(tc.payload, &d)
			if ok != tc.ok {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			if d.keyframe != tc.kf || d.picID != tc.pic || d.picID15 != tc.picLong || d.hdrLen != tc.hdrLen || d.hasTL0 != tc.hasTL0 || d.tl0PicIdx != tc.tl0 {
				t.Fatalf("got %+v", d)
			}
			if isVP8Keyframe(tc.payload) != tc.kf {
				t.Fatal("isVP8Keyframe disagrees")
			}
		})
	}
}

func TestWriteVP8DescRoundTrip(t *testing.T) {
	in := synth.AppendVP8(nil, true, true, 77, 3, 100, synth.Tail{})
	var d vp8Desc
	if !parseVP8(in, &d) {
		t.Fatal("parse")
	}
	var buf [8]byte
	n := writeVP8Desc(buf[:], &d, 0x1234, 42)
	out := append(buf[:n:n], in[d.hdrLen:]...)
	var e vp8Desc
	if !parseVP8(out, &e) {
		t.Fatal("reparse")
	}
	if e.picID != 0x1234 || e.tl0PicIdx != 42 || !e.keyframe || !e.picID15 || !bytes.Equal(out[e.hdrLen:], in[d.hdrLen:]) {
		t.Fatalf("round trip: %+v", e)
	}
}

func TestH264Keyframe(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"IDR single NAL", []byte{0x65, 0x88}, true},
		{"SPS single NAL", []byte{0x67, 0x42}, true},
		{"PPS alone", []byte{0x68, 0xce}, false},
		{"non-IDR slice", []byte{0x41, 0x9a}, false},
		{"STAP-A with SPS and PPS", []byte{0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce}, true},
		{"STAP-A without SPS", []byte{0x78, 0x00, 0x02, 0x41, 0x9a, 0x00, 0x02, 0x41, 0x9a}, false},
		{"STAP-A truncated", []byte{0x78, 0x00, 0x09, 0x67}, false},
		{"FU-A IDR start", []byte{0x7c, 0x85, 0x00}, true},
		{"FU-A IDR middle", []byte{0x7c, 0x05, 0x00}, false},
		{"FU-A non-IDR start", []byte{0x7c, 0x81, 0x00}, false},
		{"empty", nil, false},
	}
	for _, tc := range tests {
		if got := isH264Keyframe(tc.payload); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestOtherKeyframes(t *testing.T) {
	if !isVP9Keyframe([]byte{0x08}) || isVP9Keyframe([]byte{0x48}) || isVP9Keyframe([]byte{0x00}) {
		t.Error("VP9")
	}
	if !isAV1Keyframe([]byte{0x18}) || isAV1Keyframe([]byte{0x10}) {
		t.Error("AV1")
	}
}

func FuzzVP8Descriptor(f *testing.F) {
	f.Add(synth.AppendVP8(nil, true, true, 1234, 9, 40, synth.Tail{}))
	f.Add([]byte{0x90, 0x80, 0x11, 0x00})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		var d vp8Desc
		if !parseVP8(p, &d) {
			return
		}
		if d.hdrLen > len(p) || d.hdrLen > 6 {
			t.Fatalf("hdrLen %d of %d", d.hdrLen, len(p))
		}
		var buf [8]byte
		n := writeVP8Desc(buf[:], &d, d.picID, d.tl0PicIdx)
		out := append(buf[:n:n], p[d.hdrLen:]...)
		var e vp8Desc
		if !parseVP8(out, &e) || e.keyframe != d.keyframe || e.picID != d.picID || e.tl0PicIdx != d.tl0PicIdx {
			t.Fatalf("rewrite changed the descriptor: %+v -> %+v", d, e)
		}
	})
}

func FuzzH264Keyframe(f *testing.F) {
	f.Add([]byte{0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce})
	f.Add([]byte{0x7c, 0x85, 0x00})
	f.Fuzz(func(t *testing.T, p []byte) {
		_ = isH264Keyframe(p)
		_ = isKeyframe(codecVP9, p)
		_ = isKeyframe(codecAV1, p)
	})
}
