package synth

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Packet is one video packet as a viewer received it.
type Packet struct {
	Seq       uint16
	TS        uint32
	SSRC      uint32
	Marker    bool
	Keyframe  bool // first packet of a keyframe (VP8) or a packet with SPS/IDR (H.264)
	Size      int  // RTP packet size in bytes
	VP8       VP8Info
	Tail      Tail
	TailOK    bool
	ArrivalNs int64
}

// ViewerOptions configure a Viewer.
type ViewerOptions struct {
	// Record keeps every video packet for Packets; load tools leave it off
	// and use OnVideo.
	Record bool
	// OnVideo, when set, is called for every video packet from the track's
	// reader goroutine.
	OnVideo func(Packet)
	// NoAudio omits the audio section from the offer.
	NoAudio bool
	// VideoCodecs, when set, are the only video codecs the offer lists
	// (in this order), as a client offering H.264 alone does. The
	// codecs must be registered in the API's media engine.
	VideoCodecs []webrtc.RTPCodecParameters
}

// Viewer is a synthetic receive-only peer.
type Viewer struct {
	opts ViewerOptions
	pc   *webrtc.PeerConnection

	mu      sync.Mutex
	packets []Packet
	firstKF time.Time

	keyframe  chan struct{}
	kfOnce    sync.Once
	audio     atomic.Int64
	video     atomic.Int64
	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
	tracks    sync.Mutex // guards wg.Add against Close
	stopping  bool
}

// NewViewer builds the peer; call Offer, send it to the server, then Start
// with the answer.
func NewViewer(api *webrtc.API, opts ViewerOptions) (*Viewer, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	v := &Viewer{opts: opts, pc: pc, keyframe: make(chan struct{}), closed: make(chan struct{})}
	kinds := []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo}
	if !opts.NoAudio {
		kinds = append(kinds, webrtc.RTPCodecTypeAudio)
	}
	for _, k := range kinds {
		t, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
		if err == nil && k == webrtc.RTPCodecTypeVideo && len(opts.VideoCodecs) > 0 {
			err = t.SetCodecPreferences(opts.VideoCodecs)
		}
		if err != nil {
			_ = pc.Close()
			return nil, err
		}
	}
	pc.OnTrack(v.onTrack)
	return v, nil
}

// PeerConnection returns the underlying PeerConnection.
func (v *Viewer) PeerConnection() *webrtc.PeerConnection { return v.pc }

// Offer returns the complete offer (after ICE gathering).
func (v *Viewer) Offer() (string, error) { return offer(v.pc, v.closed) }

// Start applies the server's answer.
func (v *Viewer) Start(answer string) error {
	return v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
}

// Keyframe is closed when the first video keyframe arrived.
func (v *Viewer) Keyframe() <-chan struct{} { return v.keyframe }

// FirstKeyframeAt returns when the first keyframe arrived.
func (v *Viewer) FirstKeyframeAt() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.firstKF
}

// Packets returns a copy of the recorded video packets.
func (v *Viewer) Packets() []Packet {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Packet(nil), v.packets...)
}

// VideoPackets and AudioPackets count received packets.
func (v *Viewer) VideoPackets() int64 { return v.video.Load() }

// AudioPackets counts received audio packets.
func (v *Viewer) AudioPackets() int64 { return v.audio.Load() }

// Close stops the peer and waits for its goroutines.
func (v *Viewer) Close() error {
	var err error
	v.closeOnce.Do(func() {
		close(v.closed)
		v.tracks.Lock()
		v.stopping = true
		v.tracks.Unlock()
		err = v.pc.Close()
		v.wg.Wait()
	})
	return err
}

func (v *Viewer) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	v.tracks.Lock()
	if v.stopping {
		v.tracks.Unlock()
		return
	}
	v.wg.Add(1)
	v.tracks.Unlock()
	defer v.wg.Done()
	buf := make([]byte, 1500)
	var p rtp.Packet
	h264 := strings.EqualFold(t.Codec().MimeType, webrtc.MimeTypeH264)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if t.Kind() == webrtc.RTPCodecTypeAudio {
			v.audio.Add(1)
			continue
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		v.video.Add(1)
		pk := Packet{Size: n, Seq: p.SequenceNumber, TS: p.Timestamp, SSRC: p.SSRC, Marker: p.Marker, ArrivalNs: time.Now().UnixNano()}
		if h264 {
			pk.Keyframe = IsH264Keyframe(p.Payload)
		} else {
			pk.VP8, _ = ParseVP8(p.Payload)
			pk.Keyframe = pk.VP8.Keyframe
		}
		pk.Tail, pk.TailOK = ParseTail(p.Payload)
		if pk.Keyframe {
			v.kfOnce.Do(func() {
				v.mu.Lock()
				v.firstKF = time.Now()
				v.mu.Unlock()
				close(v.keyframe)
			})
		}
		if v.opts.Record {
			v.mu.Lock()
			v.packets = append(v.packets, pk)
			v.mu.Unlock()
		}
		if v.opts.OnVideo != nil {
			v.opts.OnVideo(pk)
		}
	}
}
