package sfu

import "github.com/pion/rtcp"

// maxRetransmitsPerSecond bounds what one viewer's NACKs can make the SFU
// send again: a lossy link asks for a few packets a second, a NACK storm
// (or a hostile viewer) for thousands.
const maxRetransmitsPerSecond = 200

// retransmitBudget counts a viewer's retransmissions per second.
type retransmitBudget struct {
	window int64 // unix seconds
	used   int
}

func (b *retransmitBudget) allow(now int64) bool {
	if s := now / 1e9; s != b.window {
		b.window, b.used = s, 0
	}
	if b.used >= maxRetransmitsPerSecond {
		return false
	}
	b.used++
	return true
}

// retransmit sends again the packets nack asks for that the forwarder sent
// and their layer still holds, rewritten as they were first sent. It
// returns how many it sent. Called by the subscriber's RTCP reader only.
func (f *videoForwarder) retransmit(nack *rtcp.TransportLayerNack, now int64) (sent int) {
	for _, pair := range nack.Nacks {
		for _, seq := range pair.PacketList() {
			if f.resend(seq, now) {
				sent++
			}
		}
	}
	return sent
}

func (f *videoForwarder) resend(seq uint16, now int64) bool {
	f.mu.Lock()
	sp, ok := f.sent.lookup(seq)
	f.mu.Unlock()
	if !ok {
		return false
	}
	n, ok := sp.layer.history.get(sp.srcSeq, f.rtxBuf[:])
	if !ok || !f.rtx.allow(now) {
		return false
	}
	payload := f.rtxBuf[:n]
	if sp.rewritten {
		var b descBuf
		if d := b.parse(sp.layer.kind, payload); d.fits(payload, len(f.rtxDesc)) {
			payload = f.rtxDesc[:d.write(f.rtxDesc[:], payload, sp.pic, sp.tl0)]
		}
	}
	return f.dt.resend(sp.marker, sp.seq, sp.ts, payload) > 0
}
