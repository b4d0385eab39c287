package record

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Two SPSs x264 wrote (constrained baseline, 640x360 and 320x180 with
// cropping).
var (
	sps640 = mustHex("6742c01eda0280bfe5c044000003000400000300f23c58ba80")
	sps320 = mustHex("6742c00dda05067e7c0440000003004000000f23c50aa8")
)

func TestSPSSize(t *testing.T) {
	for _, tt := range []struct {
		sps  []byte
		w, h int
	}{{sps640, 640, 360}, {sps320, 320, 180}} {
		w, h, err := spsSize(tt.sps)
		if err != nil || w != tt.w || h != tt.h {
			t.Errorf("spsSize = %dx%d, %v; want %dx%d", w, h, err, tt.w, tt.h)
		}
	}
	if _, _, err := spsSize(sps640[:6]); err == nil {
		t.Error("a truncated SPS was accepted")
	}
}

func TestAVC(t *testing.T) {
	pps := []byte{0x68, 0xce, 0x38, 0x80}
	idr := []byte{0x65, 0x88, 0x84}
	var au []byte
	for _, n := range [][]byte{sps640, pps, idr} {
		au = append(au, byte(len(n)>>24), byte(len(n)>>16), byte(len(n)>>8), byte(len(n)))
		au = append(au, n...)
	}
	sps, p := h264Params(au)
	if string(sps) != string(sps640) || string(p) != string(pps) || !h264Keyframe(au) {
		t.Fatalf("params %x %x, keyframe %v", sps, p, h264Keyframe(au))
	}
	cfg := avcConfig(sps, p)
	if cfg[0] != 1 || cfg[1] != sps640[1] || cfg[5] != 0xe1 || len(cfg) != 6+2+len(sps640)+1+2+len(pps) {
		t.Errorf("avcC %x", cfg)
	}
	if h264Keyframe(au[:len(au)-len(idr)-4]) {
		t.Error("an access unit without an IDR slice counted as a keyframe")
	}
}

func TestVP8Size(t *testing.T) {
	key := []byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}
	if w, h, ok := vp8Size(key); !ok || w != 640 || h != 360 {
		t.Errorf("vp8Size = %d %d %v", w, h, ok)
	}
	if _, _, ok := vp8Size(append([]byte{0x51}, key[1:]...)); ok {
		t.Error("an interframe gave a size")
	}
}

// TestClustersRebase: frames become clusters (a new one past 30 s), and
// Rebase moves them back without touching the blocks.
func TestClustersRebase(t *testing.T) {
	fs := []frame{{track: videoTrack, pts: 4000, key: true, data: []byte{1}}, {track: audioTrack, pts: 4010, data: []byte{2}},
		{track: videoTrack, pts: 40000, data: []byte{3}}}
	data, err := clusters(fs)
	if err != nil {
		t.Fatal(err)
	}
	moved, err := Rebase(data, 4000)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cluster []webm.Cluster `ebml:"Cluster"`
	}
	if err := ebml.Unmarshal(bytes.NewReader(moved), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cluster) != 2 || doc.Cluster[0].Timecode != 0 || doc.Cluster[1].Timecode != 36000 ||
		len(doc.Cluster[0].SimpleBlock) != 2 || doc.Cluster[0].SimpleBlock[1].Timecode != 10 || !doc.Cluster[0].SimpleBlock[0].Keyframe {
		t.Fatalf("rebased clusters %+v", doc.Cluster)
	}
	if _, err := Rebase(data, 5000); err == nil {
		t.Error("Rebase before a cluster's start accepted")
	}
	h, err := Header(Tracks{Video: "VP8", Audio: "opus", Width: 640, Height: 360}, 36*time.Second, time.Now())
	if err != nil || len(h) < 100 {
		t.Fatalf("Header: %d bytes, %v", len(h), err)
	}
	if _, err := Header(Tracks{Video: "MPEG2"}, 0, time.Now()); err == nil {
		t.Error("an unknown codec accepted")
	}
}

func FuzzSPSSize(f *testing.F) {
	f.Add(sps640)
	f.Add(sps320)
	f.Fuzz(func(t *testing.T, b []byte) {
		w, h, err := spsSize(b)
		if err == nil && (w <= 0 || h <= 0 || w > 16384 || h > 32768) {
			t.Fatalf("spsSize(%x) = %dx%d", b, w, h)
		}
	})
}

func FuzzAVC(f *testing.F) {
	f.Add([]byte{0, 0, 0, 3, 0x65, 1, 2})
	f.Add([]byte{0, 0, 0, 9, 0x65})
	f.Fuzz(func(t *testing.T, b []byte) {
		h264Keyframe(b)
		if sps, pps := h264Params(b); sps != nil && pps != nil && len(sps) >= 4 {
			avcConfig(sps, pps)
		}
		vp8Size(b)
	})
}

func FuzzRebase(f *testing.F) {
	data, _ := clusters([]frame{{track: videoTrack, pts: 4000, key: true, data: []byte{1}}})
	f.Add(data, int64(4000))
	f.Fuzz(func(t *testing.T, b []byte, shift int64) {
		_, _ = Rebase(b, shift)
	})
}
