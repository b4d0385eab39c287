package sfu

import (
	"bytes"
	"testing"
)

func TestVP9Descriptor(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		pic     uint16
		tl0     uint8
		wantOK  bool
		want    vp9Desc
		written []byte // with picture ID 0x1234 and TL0PICIDX 7
	}{
		{name: "empty", in: nil},
		{name: "no picture ID, no layers", in: []byte{0x0c, 0xaa}, wantOK: true,
			written: []byte{0x0c, 0xaa}},
		{name: "7-bit picture ID", in: []byte{0x8c, 0x05, 0xaa}, wantOK: true,
			want: vp9Desc{picOff: 1, picID: 5}, written: []byte{0x8c, 0x92, 0x34, 0xaa}},
		{name: "15-bit picture ID", in: []byte{0x8c, 0x81, 0x02, 0xaa}, wantOK: true,
			want: vp9Desc{picOff: 1, picID15: true, picID: 0x102}, written: []byte{0x8c, 0x92, 0x34, 0xaa}},
		{name: "non-flexible with TL0PICIDX", in: []byte{0xac, 0x05, 0x20, 0x09, 0xaa}, wantOK: true,
			want:    vp9Desc{picOff: 1, picID: 5, tl0Off: 3, tl0: 9},
			written: []byte{0xac, 0x92, 0x34, 0x20, 0x07, 0xaa}},
		{name: "flexible mode has no TL0PICIDX", in: []byte{0xbc, 0x81, 0x02, 0x20, 0x03, 0xaa}, wantOK: true,
			want: vp9Desc{picOff: 1, picID15: true, picID: 0x102}, written: []byte{0xbc, 0x92, 0x34, 0x20, 0x03, 0xaa}},
		{name: "TL0PICIDX without picture ID", in: []byte{0x2c, 0x20, 0x09}, wantOK: true,
			want: vp9Desc{tl0Off: 2, tl0: 9}, written: []byte{0x2c, 0x20, 0x07}},
		{name: "15-bit picture ID cut short", in: []byte{0x80, 0x81}},
		{name: "layer byte missing", in: []byte{0xa0, 0x05}},
		{name: "TL0PICIDX missing", in: []byte{0xa0, 0x05, 0x20}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d vp9Desc
			if ok := parseVP9(tc.in, &d); ok != tc.wantOK || (ok && d != tc.want) {
				t.Fatalf("parseVP9 = %+v, %v; want %+v, %v", d, ok, tc.want, tc.wantOK)
			}
			if !tc.wantOK {
				return
			}
			dst := make([]byte, len(tc.in)+1)
			if got := dst[:writeVP9(dst, tc.in, &d, 0x1234, 7)]; !bytes.Equal(got, tc.written) {
				t.Errorf("writeVP9 = % x, want % x", got, tc.written)
			}
		})
	}
}

// TestVP9PictureIDsContinueAcrossSwitch: after a switch to a layer whose
// picture IDs are elsewhere, the outgoing IDs go on from the last one sent.
func TestVP9PictureIDsContinueAcrossSwitch(t *testing.T) {
	var m munger
	send := func(src uint16) uint16 {
		d := vp9Desc{picOff: 1, picID15: true, picID: src}
		v := d.asVP8()
		pic, _ := m.vp8(&v)
		return pic
	}
	first := send(100)
	if got := send(101); got != first+1 {
		t.Fatalf("next picture: %d, want %d", got, first+1)
	}
	m.switchTo(5000, 90000, 0, 90000) // another layer, its own picture IDs
	if got := send(7000); got != first+2 {
		t.Errorf("first picture after the switch: %d, want %d", got, first+2)
	}
	if got := send(7001); got != first+3 {
		t.Errorf("second picture after the switch: %d, want %d", got, first+3)
	}
}

func FuzzVP9Descriptor(f *testing.F) {
	f.Add([]byte{0xac, 0x05, 0x20, 0x09, 0xaa})
	f.Add([]byte{0xbc, 0x81, 0x02, 0x20, 0x03, 0xaa})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		var d vp9Desc
		if !parseVP9(p, &d) {
			return
		}
		dst := make([]byte, len(p)+1)
		out := dst[:writeVP9(dst, p, &d, d.picID, d.tl0)]
		var e vp9Desc
		if !parseVP9(out, &e) || e.picID != d.picID || e.tl0 != d.tl0 || (e.picOff > 0) != (d.picOff > 0) || (e.tl0Off > 0) != (d.tl0Off > 0) {
			t.Fatalf("rewrite changed the descriptor: %+v -> %+v", d, e)
		}
		if e.picOff > 0 && !e.picID15 {
			t.Fatal("rewritten picture ID is not in its 15-bit form")
		}
	})
}
