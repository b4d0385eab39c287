package sfu

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// Sender reports (RFC 3550 6.4.1) for every outgoing track, which browsers
// need to synchronise a viewer's audio and video. Pion's report
// interceptor would keep a ticker goroutine per PeerConnection (and its
// receiver half another, idle on a viewer, which sends nothing) and take
// a lock and read the clock for every packet written; here each downTrack
// keeps the few counters a report needs with atomics beside the header it
// writes anyway, and the engine's ticker sends every connection's reports
// once a second, audio and video in one compound packet.

// srTicks is how many engine ticks lie between two rounds of reports: 1 s,
// as libwebrtc sends them for video.
const srTicks = 10

// srState is what a sender report needs from a downTrack. Its writer
// (one forwarder at a time) calls sent; the engine's ticker calls report.
type srState struct {
	packets atomic.Uint32
	octets  atomic.Uint32
	// ts and at map the stream's RTP clock to the wall clock: the RTP
	// timestamp of the newest frame and when its first packet was read.
	// ver is a sequence lock over the pair: odd while they change.
	ver atomic.Uint32
	ts  atomic.Uint32
	at  atomic.Int64

	lastTS  uint32 // writer only
	started bool   // writer only
}

// sent records a packet of payload bytes with timestamp ts, read at now
// (unix nanoseconds).
func (s *srState) sent(ts uint32, now int64, payload int) {
	if !s.started || ts != s.lastTS {
		// The first packet of a frame: later packets of the same frame
		// are read later but carry the same timestamp.
		s.started, s.lastTS = true, ts
		s.ver.Add(1)
		s.ts.Store(ts)
		s.at.Store(now)
		s.ver.Add(1)
	}
	s.packets.Add(1)
	s.octets.Add(uint32(payload))
}

// resent counts a retransmission sent on the stream's own SSRC.
func (s *srState) resent(payload int) {
	s.packets.Add(1)
	s.octets.Add(uint32(payload))
}

// report returns the sender report of ssrc at wall-clock time now, on a
// clock of clockRate Hz, or false when nothing was sent yet (such a source
// sends no report: RFC 3550 6.4).
func (s *srState) report(ssrc, clockRate uint32, now time.Time) (rtcp.SenderReport, bool) {
	packets := s.packets.Load()
	if packets == 0 || clockRate == 0 {
		return rtcp.SenderReport{}, false
	}
	var ts uint32
	var at int64
	for {
		v := s.ver.Load()
		if v&1 == 0 {
			ts, at = s.ts.Load(), s.at.Load()
			if s.ver.Load() == v {
				break
			}
		}
		runtime.Gosched()
	}
	el := now.UnixNano() - at // may be < 0: a frame read since now was taken
	ticks := el/1e9*int64(clockRate) + el%1e9*int64(clockRate)/1e9
	return rtcp.SenderReport{
		SSRC:        ssrc,
		NTPTime:     ntpTime(now),
		RTPTime:     ts + uint32(ticks),
		PacketCount: packets,
		OctetCount:  s.octets.Load(),
	}, true
}

// ntpEpochOffset is the number of seconds from 1900 (NTP) to 1970 (Unix).
const ntpEpochOffset = 2_208_988_800

// ntpTime is t as a 64-bit NTP timestamp: seconds since 1900 in the high
// 32 bits, the fraction of a second in the low 32.
func ntpTime(t time.Time) uint64 {
	ns := t.UnixNano()
	secs := uint64(ns/1e9) + ntpEpochOffset
	frac := uint64(ns%1e9) << 32 / 1e9
	return secs<<32 | frac
}

// appendReport appends d's sender report to pkts.
func (d *downTrack) appendReport(pkts []rtcp.Packet, now time.Time) []rtcp.Packet {
	if d == nil {
		return pkts
	}
	b := d.bound.Load()
	if b == nil {
		return pkts
	}
	if sr, ok := d.sr.report(b.ssrc, d.codec.ClockRate, now); ok {
		pkts = append(pkts, &sr)
	}
	return pkts
}

// peer returns the session's PeerConnection, nil before it has one or once
// it is closing.
func (s *Session) peer() *webrtc.PeerConnection {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil
	}
	return s.pc
}

// sendReports sends the sender reports of dts, in one compound packet, on
// s's PeerConnection.
func (s *Session) sendReports(now time.Time, dts ...*downTrack) {
	var buf [maxRelayLayers + 1]rtcp.Packet
	pkts := buf[:0]
	for _, d := range dts {
		pkts = d.appendReport(pkts, now)
	}
	if len(pkts) == 0 {
		return
	}
	if pc := s.peer(); pc != nil {
		_ = pc.WriteRTCP(pkts) // a closing connection: nothing to report to
	}
}

// sendReports sends the sender reports of every viewer of r and every
// edge r feeds. Called by the engine's ticker.
func (r *room) sendReports(now time.Time) {
	for _, s := range r.subscribers() {
		var a, v *downTrack
		if s.audio != nil {
			a = s.audio.dt
		}
		if s.video != nil {
			v = s.video.dt
		}
		s.sess.sendReports(now, a, v)
	}
	if p := r.relays.list.Load(); p != nil {
		for _, ro := range *p {
			var buf [maxRelayLayers + 1]*downTrack
			dts := append(buf[:0], ro.audio)
			for _, rv := range ro.video {
				dts = append(dts, rv.dt)
			}
			ro.sess.sendReports(now, dts...)
		}
	}
}
