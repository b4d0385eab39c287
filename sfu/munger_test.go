package sfu

import "testing"

// step is one call on a munger: "switch", "pkt", "skip" or "compress".
type step struct {
	op      string
	seq     uint16
	ts      uint32
	at      int64 // ms
	wantSeq uint16
	wantTs  uint32
	wantOK  bool
}

func TestMungerSeqTimestamp(t *testing.T) {
	const ms = int64(1e6)
	tests := []struct {
		name  string
		steps []step
	}{
		{"first stream keeps numbering", []step{
			{op: "switch", seq: 100, ts: 1000},
			{op: "pkt", seq: 100, ts: 1000, wantSeq: 100, wantTs: 1000, wantOK: true},
			{op: "pkt", seq: 101, ts: 4000, wantSeq: 101, wantTs: 4000, wantOK: true},
		}},
		{"switch continues seq and advances ts by wall clock", []step{
			{op: "switch", seq: 100, ts: 1000},
			{op: "pkt", seq: 100, ts: 1000, wantSeq: 100, wantTs: 1000, wantOK: true},
			{op: "pkt", seq: 101, ts: 4000, at: 10, wantSeq: 101, wantTs: 4000, wantOK: true},
			{op: "switch", seq: 5000, ts: 900000, at: 43},
			{op: "pkt", seq: 5000, ts: 900000, at: 43, wantSeq: 102, wantTs: 4000 + 33*90, wantOK: true},
			{op: "pkt", seq: 5001, ts: 903000, at: 76, wantSeq: 103, wantTs: 4000 + 33*90 + 3000, wantOK: true},
		}},
		{"switch at the same instant still advances ts", []step{
			{op: "switch", seq: 1, ts: 50},
			{op: "pkt", seq: 1, ts: 50, wantSeq: 1, wantTs: 50, wantOK: true},
			{op: "switch", seq: 9, ts: 7},
			{op: "pkt", seq: 9, ts: 7, wantSeq: 2, wantTs: 51, wantOK: true},
		}},
		{"duplicate dropped", []step{
			{op: "switch", seq: 10, ts: 0},
			{op: "pkt", seq: 10, ts: 0, wantSeq: 10, wantOK: true},
			{op: "pkt", seq: 10, ts: 0, wantOK: false},
		}},
		{"reordered packet keeps its place", []step{
			{op: "switch", seq: 10, ts: 0},
			{op: "pkt", seq: 10, ts: 0, wantSeq: 10, wantOK: true},
			{op: "pkt", seq: 12, ts: 0, wantSeq: 12, wantOK: true},
			{op: "pkt", seq: 11, ts: 0, wantSeq: 11, wantOK: true},
			{op: "pkt", seq: 13, ts: 0, wantSeq: 13, wantOK: true},
		}},
		{"late packet from before a switch dropped", []step{
			{op: "switch", seq: 10, ts: 0},
			{op: "pkt", seq: 10, ts: 0, wantSeq: 10, wantOK: true},
			{op: "switch", seq: 500, ts: 0},
			{op: "pkt", seq: 500, ts: 0, wantSeq: 11, wantTs: 1, wantOK: true},
			{op: "pkt", seq: 499, ts: 0, wantOK: false},
		}},
		{"padding skipped without a gap", []step{
			{op: "switch", seq: 10, ts: 0},
			{op: "pkt", seq: 10, ts: 0, wantSeq: 10, wantOK: true},
			{op: "skip", seq: 11},
			{op: "skip", seq: 12},
			{op: "pkt", seq: 13, ts: 0, wantSeq: 11, wantOK: true},
		}},
		{"sequence wraps", []step{
			{op: "switch", seq: 65534, ts: 4294967000},
			{op: "pkt", seq: 65534, ts: 4294967000, wantSeq: 65534, wantTs: 4294967000, wantOK: true},
			{op: "pkt", seq: 65535, ts: 4294967000, wantSeq: 65535, wantTs: 4294967000, wantOK: true},
			{op: "pkt", seq: 0, ts: 2704, wantSeq: 0, wantTs: 2704, wantOK: true},
			{op: "switch", seq: 300, ts: 10},
			{op: "pkt", seq: 300, ts: 10, wantSeq: 1, wantTs: 2705, wantOK: true},
		}},
		{"paced replay stamps frames with the time they are sent", []step{
			{op: "switch", seq: 10, ts: 1000},
			{op: "pkt", seq: 10, ts: 1000, wantSeq: 10, wantTs: 1000, wantOK: true},
			// A joiner's replay starts a second later from a cached keyframe.
			{op: "switch", seq: 70, ts: 50000, at: 1000},
			{op: "pkt", seq: 70, ts: 50000, at: 1000, wantSeq: 11, wantTs: 91000, wantOK: true},
			// Sent in the same instant: one tick later.
			{op: "pace", ts: 53000, at: 1000},
			{op: "pkt", seq: 71, ts: 53000, at: 1000, wantSeq: 12, wantTs: 91001, wantOK: true},
			// 10 ms later: 900 ticks after the keyframe, not 6000.
			{op: "pace", ts: 56000, at: 1010},
			{op: "pkt", seq: 72, ts: 56000, at: 1010, wantSeq: 13, wantTs: 91900, wantOK: true},
			{op: "pkt", seq: 73, ts: 56000, at: 1010, wantSeq: 14, wantTs: 91900, wantOK: true},
			{op: "pace", ts: 59000, at: 1010},
			{op: "pkt", seq: 74, ts: 59000, at: 1010, wantSeq: 15, wantTs: 91901, wantOK: true},
			// Live again: source spacing from the last paced frame.
			{op: "pkt", seq: 75, ts: 62000, at: 1043, wantSeq: 16, wantTs: 94901, wantOK: true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m munger
			for i, s := range tc.steps {
				now := s.at * ms
				switch s.op {
				case "switch":
					m.switchTo(s.seq, s.ts, now, 90000)
				case "skip":
					m.skip(s.seq)
				case "pace":
					m.paceFrame(s.ts, now, 90000)
				case "pkt":
					seq, ts, ok := m.rewrite(s.seq, s.ts, now)
					if ok != s.wantOK || (ok && (seq != s.wantSeq || (s.wantTs != 0 && ts != s.wantTs))) {
						t.Fatalf("step %d: rewrite(%d, %d) = %d, %d, %v; want %d, %d, %v",
							i, s.seq, s.ts, seq, ts, ok, s.wantSeq, s.wantTs, s.wantOK)
					}
				}
			}
		})
	}
}

func TestMungerVP8PictureID(t *testing.T) {
	type pkt struct {
		switchFirst bool
		pic         uint16
		long        bool
		tl0         uint8
		wantPic     uint16
		wantTL0     uint8
	}
	tests := []struct {
		name string
		pkts []pkt
	}{
		{"first stream keeps picture IDs", []pkt{
			{switchFirst: true, pic: 300, long: true, tl0: 7, wantPic: 300, wantTL0: 7},
			{pic: 300, long: true, tl0: 7, wantPic: 300, wantTL0: 7},
			{pic: 301, long: true, tl0: 8, wantPic: 301, wantTL0: 8},
		}},
		{"switch continues at +1", []pkt{
			{switchFirst: true, pic: 300, long: true, tl0: 7, wantPic: 300, wantTL0: 7},
			{pic: 301, long: true, tl0: 8, wantPic: 301, wantTL0: 8},
			{switchFirst: true, pic: 9000, long: true, tl0: 200, wantPic: 302, wantTL0: 9},
			{pic: 9000, long: true, tl0: 200, wantPic: 302, wantTL0: 9},
			{pic: 9001, long: true, tl0: 201, wantPic: 303, wantTL0: 10},
		}},
		{"15-bit wrap", []pkt{
			{switchFirst: true, pic: 0x7fff, long: true, wantPic: 0x7fff},
			{pic: 0, long: true, wantPic: 0},
			{pic: 1, long: true, wantPic: 1},
		}},
		{"7-bit source becomes 15-bit without jumping", []pkt{
			{switchFirst: true, pic: 126, wantPic: 126},
			{pic: 127, wantPic: 127},
			{pic: 0, wantPic: 128},
			{pic: 1, wantPic: 129},
		}},
		{"reordered packet of the previous frame", []pkt{
			{switchFirst: true, pic: 50, long: true, wantPic: 50},
			{pic: 51, long: true, wantPic: 51},
			{pic: 50, long: true, wantPic: 50},
			{pic: 52, long: true, wantPic: 52},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m munger
			for i, p := range tc.pkts {
				if p.switchFirst {
					m.switchTo(uint16(i), 0, 0, 90000)
				}
				d := vp8Desc{hasPicID: true, picID15: p.long, picID: p.pic, hasTL0: true, tl0PicIdx: p.tl0}
				pic, tl0 := m.vp8(&d)
				if pic != p.wantPic || tl0 != p.wantTL0 {
					t.Fatalf("packet %d: pic %d tl0 %d, want %d %d", i, pic, tl0, p.wantPic, p.wantTL0)
				}
			}
		})
	}
}
