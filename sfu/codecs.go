package sfu

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Payload types of the codecs the SFU registers (each video codec's RTX is
// the next number). Remote peers may use other numbers; Pion maps them
// during negotiation.
var videoFeedback = []webrtc.RTCPFeedback{
	{Type: webrtc.TypeRTCPFBGoogREMB},
	{Type: webrtc.TypeRTCPFBTransportCC},
	{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
	{Type: webrtc.TypeRTCPFBNACK},
	{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
}

// supportedVideo lists the video codecs in the SFU's order of preference.
var supportedVideo = []webrtc.RTPCodecParameters{
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback}, PayloadType: 96},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", RTCPFeedback: videoFeedback}, PayloadType: 100},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", RTCPFeedback: videoFeedback}, PayloadType: 102},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f", RTCPFeedback: videoFeedback}, PayloadType: 104},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f", RTCPFeedback: videoFeedback}, PayloadType: 106},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f", RTCPFeedback: videoFeedback}, PayloadType: 108},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000,
		SDPFmtpLine: "profile-id=0", RTCPFeedback: videoFeedback}, PayloadType: 98},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeAV1, ClockRate: 90000,
		SDPFmtpLine: "level-idx=5;profile=0;tier=0", RTCPFeedback: videoFeedback}, PayloadType: 45},
}

var opusCodec = webrtc.RTPCodecParameters{
	RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1", RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}}},
	PayloadType: 111,
}

// codecKind is the payload format family, used to pick the keyframe detector
// and the payload rewriter.
type codecKind uint8

const (
	codecOther codecKind = iota
	codecVP8
	codecVP9
	codecH264
	codecAV1
	codecOpus
)

func kindOfMime(mime string) codecKind {
	switch strings.ToLower(mime) {
	case strings.ToLower(webrtc.MimeTypeVP8):
		return codecVP8
	case strings.ToLower(webrtc.MimeTypeVP9):
		return codecVP9
	case strings.ToLower(webrtc.MimeTypeH264):
		return codecH264
	case strings.ToLower(webrtc.MimeTypeAV1):
		return codecAV1
	case strings.ToLower(webrtc.MimeTypeOpus):
		return codecOpus
	}
	return codecOther
}

// registerCodecs registers the SFU's codecs and header extensions; with
// twcc false, without transport-wide congestion control feedback.
func registerCodecs(m *webrtc.MediaEngine, twcc bool) error {
	withoutTWCC := func(c webrtc.RTPCodecParameters) webrtc.RTPCodecParameters {
		if !twcc {
			c.RTCPFeedback = slices.DeleteFunc(slices.Clone(c.RTCPFeedback), func(f webrtc.RTCPFeedback) bool {
				return f.Type == webrtc.TypeRTCPFBTransportCC
			})
		}
		return c
	}
	if err := m.RegisterCodec(withoutTWCC(opusCodec), webrtc.RTPCodecTypeAudio); err != nil {
		return err
	}
	for _, c := range supportedVideo {
		if err := m.RegisterCodec(withoutTWCC(c), webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
		rtx := webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000,
				SDPFmtpLine: fmt.Sprintf("apt=%d", c.PayloadType)},
			PayloadType: c.PayloadType + 1,
		}
		if err := m.RegisterCodec(rtx, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
	}
	video := []string{sdp.SDESMidURI, sdp.SDESRTPStreamIDURI, sdp.SDESRepairRTPStreamIDURI}
	audio := []string{sdp.SDESMidURI}
	if twcc {
		video = append(video, sdp.TransportCCURI)
		audio = append(audio, sdp.TransportCCURI)
	}
	for _, uri := range video {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
	}
	for _, uri := range audio {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeAudio); err != nil {
			return err
		}
	}
	return nil
}

// fmtpParam returns the value of key in an a=fmtp parameter line.
func fmtpParam(line, key string) string {
	for _, kv := range strings.Split(line, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// matchVideoCodec returns the SFU codec that can carry a remote codec
// offered as mime/fmtp, or false.
func matchVideoCodec(mime, fmtp string) (webrtc.RTPCodecParameters, bool) {
	k := kindOfMime(mime)
	for _, c := range supportedVideo {
		if kindOfMime(c.MimeType) != k {
			continue
		}
		if k != codecH264 {
			return c, true
		}
		if fmtpParam(fmtp, "packetization-mode") != "1" {
			return webrtc.RTPCodecParameters{}, false
		}
		want := strings.ToLower(fmtpParam(fmtp, "profile-level-id"))
		have := fmtpParam(c.SDPFmtpLine, "profile-level-id")
		if len(want) >= 4 && want[:4] == have[:4] {
			return c, true
		}
	}
	return webrtc.RTPCodecParameters{}, false
}
