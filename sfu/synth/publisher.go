package synth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// PublisherOptions shape the synthetic stream.
type PublisherOptions struct {
	RIDs     []string // simulcast rids, lowest first; empty = one layer without rid
	Bitrates []int    // bits per second per layer; default 150k/500k/1.8M
	FPS      int      // default 25
	GOP      int      // frames between keyframes; default 2*FPS
	Gen      uint8    // written into every Tail
	NoAudio  bool
	H264     bool // send H.264 (packetization mode 1) instead of VP8
	// Pacing, when > 0, spreads each frame's video packets the way
	// libwebrtc's pacer does: at Pacing times the summed layer bitrate
	// (browsers use 2.5), in bursts every 5 ms. 0 sends every layer's
	// frame in one burst.
	Pacing float64
}

// maxFrameLog bounds the frame log of FramesSent: an hour at 30 fps.
const maxFrameLog = 30 * 3600

// paceSlot is the interval between the pacer's bursts (libwebrtc: 5 ms).
const paceSlot = 5 * time.Millisecond

// Publisher is a synthetic publishing peer.
type Publisher struct {
	opts   PublisherOptions
	pc     *webrtc.PeerConnection
	video  []*webrtc.TrackLocalStaticRTP
	audio  *webrtc.TrackLocalStaticRTP
	sender *webrtc.RTPSender

	kf     []atomic.Bool
	paused []atomic.Bool
	plis   []atomic.Int64
	ignore []atomic.Int64
	sent   atomic.Int64

	reqMu sync.Mutex
	reqAt [][]time.Time // arrival of every keyframe request, per layer

	frameMu  sync.Mutex
	frameEnd []int64 // Tail.SentNs of the last packet of every frame of layer 0

	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// NewPublisher builds the peer; call Offer, send it to the server, then Start
// with the answer.
func NewPublisher(api *webrtc.API, opts PublisherOptions) (*Publisher, error) {
	if opts.FPS == 0 {
		opts.FPS = 25
	}
	if opts.GOP == 0 {
		opts.GOP = 2 * opts.FPS
	}
	n := max(1, len(opts.RIDs))
	if len(opts.Bitrates) == 0 {
		opts.Bitrates = []int{150_000, 500_000, 1_800_000}[3-n:]
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	p := &Publisher{opts: opts, pc: pc, kf: make([]atomic.Bool, n), paused: make([]atomic.Bool, n), plis: make([]atomic.Int64, n), ignore: make([]atomic.Int64, n), reqAt: make([][]time.Time, n), closed: make(chan struct{})}
	fail := func(err error) (*Publisher, error) {
		_ = pc.Close()
		return nil, err
	}
	vc := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	if opts.H264 {
		vc = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	}
	for i := 0; i < n; i++ {
		var o []func(*webrtc.TrackLocalStaticRTP)
		if len(opts.RIDs) > 0 {
			o = append(o, webrtc.WithRTPStreamID(opts.RIDs[i]))
		}
		t, err := webrtc.NewTrackLocalStaticRTP(vc, "video", "synth", o...)
		if err != nil {
			return fail(err)
		}
		p.video = append(p.video, t)
		if i == 0 {
			if p.sender, err = pc.AddTrack(t); err != nil {
				return fail(err)
			}
		} else if err := p.sender.AddEncoding(t); err != nil {
			return fail(err)
		}
	}
	if opts.H264 { // offer H.264 only, as OBS does
		for _, t := range pc.GetTransceivers() {
			if t.Sender() == p.sender {
				if err := t.SetCodecPreferences([]webrtc.RTPCodecParameters{{RTPCodecCapability: vc, PayloadType: 102}}); err != nil {
					return fail(err)
				}
			}
		}
	}
	if !opts.NoAudio {
		p.audio, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "synth")
		if err != nil {
			return fail(err)
		}
		if _, err := pc.AddTrack(p.audio); err != nil {
			return fail(err)
		}
	}
	return p, nil
}

// PeerConnection returns the underlying PeerConnection.
func (p *Publisher) PeerConnection() *webrtc.PeerConnection { return p.pc }

// Offer returns the complete offer (after ICE gathering).
func (p *Publisher) Offer() (string, error) { return offer(p.pc, p.closed) }

// Start applies the server's answer and starts sending media.
func (p *Publisher) Start(answer string) error {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return err
	}
	var midID, ridID uint8
	for _, e := range p.sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			ridID = uint8(e.ID)
		}
	}
	var mid string
	for _, t := range p.pc.GetTransceivers() {
		if t.Sender() == p.sender {
			mid = t.Mid()
		}
	}
	if len(p.opts.RIDs) > 0 && (midID == 0 || ridID == 0 || mid == "") {
		return errors.New("synth: simulcast header extensions not negotiated")
	}
	for i := range p.video {
		rid := ""
		if len(p.opts.RIDs) > 0 {
			rid = p.opts.RIDs[i]
		}
		p.wg.Add(1)
		go p.readRTCP(i, rid)
	}
	p.wg.Add(1)
	go p.sendVideo(midID, ridID, mid)
	if p.audio != nil {
		p.wg.Add(1)
		go p.sendAudio()
	}
	return nil
}

// Pause stops (or resumes) sending layer i, as a browser does with its top
// layers when its bandwidth estimate drops. A resumed layer starts with a
// keyframe.
func (p *Publisher) Pause(i int, paused bool) {
	p.paused[i].Store(paused)
	if !paused {
		p.kf[i].Store(true)
	}
}

// IgnorePLIs makes layer i leave its next n keyframe requests unanswered
// (they are still counted), as an encoder busy or short of CPU does.
func (p *Publisher) IgnorePLIs(i int, n int64) { p.ignore[i].Store(n) }

// PLIs returns the keyframe requests layer i received.
func (p *Publisher) PLIs(i int) int64 { return p.plis[i].Load() }

// KeyframeRequests returns when each PLI or FIR for layer i arrived.
func (p *Publisher) KeyframeRequests(i int) []time.Time {
	p.reqMu.Lock()
	defer p.reqMu.Unlock()
	return append([]time.Time(nil), p.reqAt[i]...)
}

// Sent returns the number of video packets sent.
func (p *Publisher) Sent() int64 { return p.sent.Load() }

// FramesSent returns how many frames of layer 0 had their last packet sent
// (Tail.SentNs) within [from, to] (unix nanoseconds): what a viewer of that
// layer is due over a window of send times.
func (p *Publisher) FramesSent(from, to int64) int {
	p.frameMu.Lock()
	defer p.frameMu.Unlock()
	n := 0
	for _, t := range p.frameEnd {
		if t >= from && t <= to {
			n++
		}
	}
	return n
}

// PacketsPerFrame is how many packets the publisher splits a frame of a
// layer at bitrate (bits per second) and fps into: about 1,100 bytes each.
func PacketsPerFrame(bitrate, fps int) int {
	return max(1, (bitrate/8/fps+1099)/1100)
}

// Close stops the peer and waits for its goroutines.
func (p *Publisher) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closed)
		err = p.pc.Close()
		p.wg.Wait()
	})
	return err
}

func (p *Publisher) readRTCP(i int, rid string) {
	defer p.wg.Done()
	for {
		var pkts []rtcp.Packet
		var err error
		if rid == "" {
			pkts, _, err = p.sender.ReadRTCP()
		} else {
			pkts, _, err = p.sender.ReadSimulcastRTCP(rid)
		}
		if err != nil {
			return
		}
		for _, pk := range pkts {
			switch pk.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				p.plis[i].Add(1)
				p.reqMu.Lock()
				p.reqAt[i] = append(p.reqAt[i], time.Now())
				p.reqMu.Unlock()
				if !p.takeIgnore(i) {
					p.kf[i].Store(true)
				}
			}
		}
	}
}

// takeIgnore consumes one of layer i's requests to ignore, if any is left.
func (p *Publisher) takeIgnore(i int) bool {
	for {
		n := p.ignore[i].Load()
		if n <= 0 {
			return false
		}
		if p.ignore[i].CompareAndSwap(n, n-1) {
			return true
		}
	}
}

type layerState struct {
	seq   uint16
	ts    uint32
	pic   uint16
	tl0   uint8
	frame uint32
}

func (p *Publisher) sendVideo(midID, ridID uint8, mid string) {
	defer p.wg.Done()
	interval := time.Second / time.Duration(p.opts.FPS)
	t := time.NewTicker(interval)
	defer t.Stop()
	states := make([]layerState, len(p.video))
	for i := range states {
		states[i] = layerState{seq: uint16(1000 * (i + 1)), ts: uint32(90000 * (i + 1)), pic: uint16(100 * (i + 1)), tl0: uint8(10 * (i + 1))}
	}
	buf := make([]byte, 0, 1500)
	var pkt rtp.Packet
	pace := newPacer(p.opts)
	for {
		select {
		case <-p.closed:
			return
		case <-t.C:
		}
		pace.frame(time.Now())
		for i, tr := range p.video {
			if p.paused[i].Load() {
				continue
			}
			st := &states[i]
			key := st.frame%uint32(p.opts.GOP) == 0 || p.kf[i].Swap(false)
			bytes := p.opts.Bitrates[min(i, len(p.opts.Bitrates)-1)] / 8 / p.opts.FPS
			n := PacketsPerFrame(p.opts.Bitrates[min(i, len(p.opts.Bitrates)-1)], p.opts.FPS)
			size := max(bytes/n, 64)
			for j := 0; j < n; j++ {
				if !pace.wait(size, p.closed) {
					return
				}
				tail := Tail{Gen: p.opts.Gen, Layer: uint8(i), Packet: uint8(j), Frame: st.frame, SentNs: time.Now().UnixNano()}
				if p.opts.H264 {
					buf = AppendH264(buf[:0], key, j == 0, size, tail)
				} else {
					buf = AppendVP8(buf[:0], key, j == 0, st.pic, st.tl0, size, tail)
				}
				pkt.Header = rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: st.seq, Timestamp: st.ts, Marker: j == n-1}
				if midID != 0 {
					_ = pkt.Header.SetExtension(midID, []byte(mid))
				}
				if ridID != 0 && len(p.opts.RIDs) > 0 {
					_ = pkt.Header.SetExtension(ridID, []byte(p.opts.RIDs[i]))
				}
				pkt.Payload = buf
				if tr.WriteRTP(&pkt) == nil {
					p.sent.Add(1)
					if i == 0 && j == n-1 && len(p.frameEnd) < maxFrameLog {
						p.frameMu.Lock()
						p.frameEnd = append(p.frameEnd, tail.SentNs)
						p.frameMu.Unlock()
					}
				}
				st.seq++
			}
			st.ts += uint32(90000 / p.opts.FPS)
			st.pic = (st.pic + 1) & 0x7fff
			st.tl0++
			st.frame++
		}
	}
}

func (p *Publisher) sendAudio() {
	defer p.wg.Done()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	payload := make([]byte, 80)
	payload[0] = 0xfc
	var seq uint16
	var ts uint32
	var pkt rtp.Packet
	for {
		select {
		case <-p.closed:
			return
		case <-t.C:
		}
		pkt.Header = rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, Timestamp: ts, Marker: seq == 0}
		pkt.Payload = payload
		_ = p.audio.WriteRTP(&pkt)
		seq++
		ts += 960
	}
}

// WaitConnected waits until the peer is connected.
func WaitConnected(ctx context.Context, pc *webrtc.PeerConnection) error {
	for pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// pacer spreads one frame's packets over time like libwebrtc's pacer: a
// packet may leave once the bytes before it fit in the time since the
// frame began at the pacing rate, rounded up to the next 5 ms burst.
type pacer struct {
	start time.Time
	bps   float64 // 0: no pacing
	sent  int     // bytes of this frame so far
}

func newPacer(o PublisherOptions) *pacer {
	var total int
	for _, b := range o.Bitrates {
		total += b
	}
	return &pacer{bps: o.Pacing * float64(total)}
}

// frame starts pacing a new frame at start.
func (p *pacer) frame(start time.Time) { p.start, p.sent = start, 0 }

// wait blocks until a packet of size bytes may leave; false if done closed.
func (p *pacer) wait(size int, done <-chan struct{}) bool {
	if p.bps <= 0 {
		return true
	}
	due := time.Duration(float64(p.sent*8) / p.bps * float64(time.Second))
	due = due.Truncate(paceSlot)
	p.sent += size
	if d := time.Until(p.start.Add(due)); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-done:
			return false
		}
	}
	return true
}
