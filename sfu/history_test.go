package sfu

import (
	"bytes"
	"testing"
)

func TestPacketHistory(t *testing.T) {
	var h packetHistory
	buf := make([]byte, 1500)
	h.add(10, []byte("ten"))
	h.add(10+historySize, []byte("overwrites ten"))
	h.add(11, bytes.Repeat([]byte{1}, 1501)) // too big to keep
	tests := []struct {
		seq  uint16
		want string
		ok   bool
	}{
		{10, "", false}, // evicted by 10+historySize
		{10 + historySize, "overwrites ten", true},
		{11, "", false},
		{12, "", false}, // never added
	}
	for _, tc := range tests {
		n, ok := h.get(tc.seq, buf)
		if ok != tc.ok || string(buf[:n]) != tc.want {
			t.Errorf("get(%d) = %q, %v; want %q, %v", tc.seq, buf[:n], ok, tc.want, tc.ok)
		}
	}
	if _, ok := h.get(10+historySize, make([]byte, 3)); ok {
		t.Error("get into a too small buffer succeeded")
	}
}

func TestSentLog(t *testing.T) {
	var l sentLog
	l.record(sentPacket{layer: &layer{}, seq: 65535, srcSeq: 7})
	if p, ok := l.lookup(65535); !ok || p.srcSeq != 7 {
		t.Errorf("lookup(65535) = %+v, %v", p, ok)
	}
	if _, ok := l.lookup(65535 - historySize); ok {
		t.Error("lookup of a sequence number sharing the slot succeeded")
	}
	if _, ok := l.lookup(3); ok {
		t.Error("lookup of an empty slot succeeded")
	}
}

func TestRetransmitBudget(t *testing.T) {
	var b retransmitBudget
	const sec = int64(1e9)
	for i := range maxRetransmitsPerSecond {
		if !b.allow(5*sec + int64(i)) {
			t.Fatalf("retransmission %d refused within the budget", i)
		}
	}
	if b.allow(5*sec + sec/2) {
		t.Error("retransmission beyond the budget allowed")
	}
	if !b.allow(6 * sec) {
		t.Error("budget not renewed the next second")
	}
}
