package synth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/h264reader"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// mediaFrame is one encoded frame of a file.
type mediaFrame struct {
	data []byte
	key  bool
}

// MediaPublisher is a publishing peer that sends real encoded media (the
// files EncodeMedia writes): two simulcast layers "q" (320x180) and "h"
// (640x360) of VP8 or H.264, and Opus, paced in real time and looped. Its
// keyframes come every second from the files; keyframe requests are read
// and ignored.
type MediaPublisher struct {
	pc     *webrtc.PeerConnection
	sender *webrtc.RTPSender
	video  []*webrtc.TrackLocalStaticRTP
	audio  *webrtc.TrackLocalStaticRTP
	h264   bool
	frames [][]mediaFrame
	opus   [][]byte
	rids   []string
	paused []atomic.Bool

	startedAt atomic.Int64

	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// NewMediaPublisher reads the media in dir and builds the peer; call Offer,
// send it to the server, then Start with the answer.
func NewMediaPublisher(api *webrtc.API, dir string, h264 bool) (*MediaPublisher, error) {
	p := &MediaPublisher{h264: h264, rids: []string{"q", "h"}, closed: make(chan struct{})}
	p.paused = make([]atomic.Bool, len(p.rids))
	for i := range p.rids {
		var fs []mediaFrame
		var err error
		if h264 {
			fs, err = readH264(filepath.Join(dir, fmt.Sprintf("layer%d.h264", i)))
		} else {
			fs, err = readIVF(filepath.Join(dir, fmt.Sprintf("layer%d.ivf", i)))
		}
		if err != nil {
			return nil, err
		}
		p.frames = append(p.frames, fs)
	}
	var err error
	if p.opus, err = readOgg(filepath.Join(dir, "audio.ogg")); err != nil {
		return nil, err
	}
	if p.pc, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return nil, err
	}
	vc := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	if h264 {
		vc = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	}
	fail := func(err error) (*MediaPublisher, error) {
		_ = p.pc.Close()
		return nil, err
	}
	for i, rid := range p.rids {
		t, err := webrtc.NewTrackLocalStaticRTP(vc, "video", "media", webrtc.WithRTPStreamID(rid))
		if err != nil {
			return fail(err)
		}
		p.video = append(p.video, t)
		if i == 0 {
			if p.sender, err = p.pc.AddTrack(t); err != nil {
				return fail(err)
			}
		} else if err := p.sender.AddEncoding(t); err != nil {
			return fail(err)
		}
	}
	if h264 {
		for _, t := range p.pc.GetTransceivers() {
			if t.Sender() == p.sender {
				if err := t.SetCodecPreferences([]webrtc.RTPCodecParameters{{RTPCodecCapability: vc, PayloadType: 102}}); err != nil {
					return fail(err)
				}
			}
		}
	}
	if p.audio, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "media"); err != nil {
		return fail(err)
	}
	if _, err := p.pc.AddTrack(p.audio); err != nil {
		return fail(err)
	}
	return p, nil
}

// PeerConnection returns the underlying PeerConnection.
func (p *MediaPublisher) PeerConnection() *webrtc.PeerConnection { return p.pc }

// Offer returns the complete offer (after ICE gathering).
func (p *MediaPublisher) Offer() (string, error) { return offer(p.pc, p.closed) }

// PauseLayer stops (or resumes, from its next keyframe) sending layer i
// (0 = "q", 1 = "h"), as a browser does with its top layer when short of
// bandwidth.
func (p *MediaPublisher) PauseLayer(i int, paused bool) { p.paused[i].Store(paused) }

// Start applies the server's answer and starts sending.
func (p *MediaPublisher) Start(answer string) error {
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
	if midID == 0 || ridID == 0 || mid == "" {
		return errors.New("synth: simulcast header extensions not negotiated")
	}
	p.wg.Add(2)
	go p.drain()
	go p.run(midID, ridID, mid)
	return nil
}

// run starts audio and video together once the peer is connected, so that
// their first packets (a keyframe, and the first Opus frame) leave at the
// same moment.
func (p *MediaPublisher) run(midID, ridID uint8, mid string) {
	defer p.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	if WaitConnected(ctx, p.pc) != nil {
		return
	}
	start := time.Now()
	p.startedAt.Store(start.UnixNano())
	p.wg.Add(2)
	go p.sendVideo(midID, ridID, mid, start)
	go p.sendAudio(start)
}

// StartedAt returns when the first frames were sent (zero before).
func (p *MediaPublisher) StartedAt() time.Time {
	if n := p.startedAt.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Close stops the peer and waits for its goroutines.
func (p *MediaPublisher) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closed)
		err = p.pc.Close()
		p.wg.Wait()
	})
	return err
}

func (p *MediaPublisher) drain() {
	defer p.wg.Done()
	for {
		if _, _, err := p.sender.ReadRTCP(); err != nil {
			return
		}
	}
}

// tick waits until start+n*every; false once closed.
func (p *MediaPublisher) tick(start time.Time, n int, every time.Duration) bool {
	t := time.NewTimer(time.Until(start.Add(time.Duration(n) * every)))
	defer t.Stop()
	select {
	case <-p.closed:
		return false
	case <-t.C:
		return true
	}
}

func (p *MediaPublisher) sendVideo(midID, ridID uint8, mid string, start time.Time) {
	defer p.wg.Done()
	var pay rtp.Payloader = &codecs.VP8Payloader{EnablePictureID: true}
	if p.h264 {
		pay = &codecs.H264Payloader{}
	}
	pks := make([]rtp.Packetizer, len(p.video))
	waitKey := make([]bool, len(p.video))
	for i := range pks {
		pks[i] = rtp.NewPacketizer(1200, 96, uint32(i+1), pay, rtp.NewRandomSequencer(), 90000)
	}
	for n := 0; p.tick(start, n, time.Second/30); n++ {
		for i, tr := range p.video {
			fs := p.frames[i]
			f := fs[n%len(fs)]
			if p.paused[i].Load() {
				waitKey[i] = true
			}
			if p.paused[i].Load() || (waitKey[i] && !f.key) {
				pks[i].SkipSamples(3000)
				continue
			}
			waitKey[i] = false
			for _, pkt := range pks[i].Packetize(f.data, 3000) {
				_ = pkt.Header.SetExtension(midID, []byte(mid))
				_ = pkt.Header.SetExtension(ridID, []byte(p.rids[i]))
				_ = tr.WriteRTP(pkt)
			}
		}
	}
}

func (p *MediaPublisher) sendAudio(start time.Time) {
	defer p.wg.Done()
	pk := rtp.NewPacketizer(1200, 111, 9, &codecs.OpusPayloader{}, rtp.NewRandomSequencer(), 48000)
	for n := 0; p.tick(start, n, 20*time.Millisecond); n++ {
		for _, pkt := range pk.Packetize(p.opus[n%len(p.opus)], 960) {
			_ = p.audio.WriteRTP(pkt)
		}
	}
}

func readIVF(path string) ([]mediaFrame, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, _, err := ivfreader.NewWith(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("synth: %s: %w", path, err)
	}
	var out []mediaFrame
	for {
		f, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("synth: %s: %w", path, err)
		}
		out = append(out, mediaFrame{data: f, key: len(f) > 0 && f[0]&1 == 0})
	}
}

// readH264 groups an Annex B stream's NAL units into access units: a new
// one starts at the first slice of a picture (first_mb_in_slice 0) or at a
// parameter set that follows a slice.
func readH264(path string) ([]mediaFrame, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := h264reader.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var out []mediaFrame
	var au []byte
	key, slices := false, false
	flush := func() {
		if slices {
			out = append(out, mediaFrame{data: au, key: key})
		}
		au, key, slices = nil, false, false
	}
	for {
		nal, err := r.NextNAL()
		if errors.Is(err, io.EOF) {
			flush()
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("synth: %s: %w", path, err)
		}
		switch nal.UnitType {
		case h264reader.NalUnitTypeCodedSliceIdr, h264reader.NalUnitTypeCodedSliceNonIdr:
			if slices && len(nal.Data) > 1 && nal.Data[1]&0x80 != 0 {
				flush()
			}
			slices = true
			key = key || nal.UnitType == h264reader.NalUnitTypeCodedSliceIdr
		case h264reader.NalUnitTypeSPS, h264reader.NalUnitTypePPS, h264reader.NalUnitTypeAUD, h264reader.NalUnitTypeSEI:
			if slices {
				flush()
			}
		}
		au = append(append(au, 0, 0, 0, 1), nal.Data...)
	}
}

func readOgg(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, _, err := oggreader.NewWith(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("synth: %s: %w", path, err)
	}
	var out [][]byte
	for {
		page, _, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("synth: %s: %w", path, err)
		}
		if bytes.HasPrefix(page, []byte("OpusTags")) || len(page) == 0 {
			continue
		}
		out = append(out, page)
	}
}
