package sfu

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// offerInfo is what the SFU needs to know about an offer before it builds a
// PeerConnection for it.
type offerInfo struct {
	audio, video, data bool
	// videoCodec is the SFU codec for the first forwardable codec of the
	// video section, in the offerer's order of preference.
	videoCodec webrtc.RTPCodecParameters
	videoOK    bool
	// videoCodecs are all the SFU codecs the video section can receive.
	videoCodecs []webrtc.RTPCodecParameters
	// videoPTs are the offerer's payload types for videoCodecs (same
	// order), with the payload type of their RTX stream (0 if none).
	videoPTs []remotePT
	opus     bool
	rids     []string // send rids of the video section, in offer order
}

// inspectOffer parses an SDP offer from outside. It fails with
// ErrInvalidOffer when the SDP cannot be parsed and with ErrUnsupportedMedia
// when it has more than one audio or video section.
func inspectOffer(raw string) (offerInfo, error) {
	var info offerInfo
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return info, fmt.Errorf("%w: %v", ErrInvalidOffer, err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return info, fmt.Errorf("%w: no media section", ErrInvalidOffer)
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Port.Value == 0 {
			continue // rejected section
		}
		switch md.MediaName.Media {
		case "audio":
			if info.audio {
				return info, fmt.Errorf("%w: more than one audio section", ErrUnsupportedMedia)
			}
			info.audio = true
			for _, c := range sectionCodecs(md) {
				if kindOfMime(c.mime) == codecOpus {
					info.opus = true
				}
			}
		case "video":
			if info.video {
				return info, fmt.Errorf("%w: more than one video section", ErrUnsupportedMedia)
			}
			info.video = true
			info.addVideoCodecs(md)
			for _, a := range md.Attributes {
				if a.Key != "rid" {
					continue
				}
				f := strings.Fields(a.Value)
				if len(f) >= 2 && f[1] == "send" {
					info.rids = append(info.rids, f[0])
				}
			}
		case "application":
			info.data = true
		}
	}
	return info, nil
}

// addVideoCodecs adds the forwardable codecs of video section md, with
// their payload types and RTX, to o.
func (o *offerInfo) addVideoCodecs(md *sdp.MediaDescription) {
	codecs := sectionCodecs(md)
	for _, c := range codecs {
		if vc, ok := matchVideoCodec(c.mime, c.fmtp); ok {
			if !o.videoOK {
				o.videoCodec, o.videoOK = vc, true
			}
			o.videoCodecs = append(o.videoCodecs, vc)
			o.videoPTs = append(o.videoPTs, remotePT{pt: c.pt, rtx: rtxFor(codecs, c.pt)})
		}
	}
}

// relayCodecPrefs restricts a relay link's video to codec c: an edge offers
// every codec it forwards, one section per layer in the same payload
// types, and takes the first codec the answer names.
func relayCodecPrefs(offer string, c webrtc.RTPCodecParameters) ([]webrtc.RTPCodecParameters, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOffer, err)
	}
	var info offerInfo
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media == "video" && md.MediaName.Port.Value != 0 {
			info.addVideoCodecs(md)
			break
		}
	}
	return info.codecPrefs(c), nil
}

type sdpCodec struct {
	pt         uint8
	mime, fmtp string
}

type remotePT struct{ pt, rtx uint8 }

// publisherCodecPrefs restricts a publisher's video to codec c, with RTX
// when the offer has it and is not simulcast. A single layer's repair
// stream is declared by SSRC (a=ssrc-group:FID) and Pion pairs the two; a
// simulcast layer's is found by its header extension, and a sender that
// tags repair packets with the layer's rid instead of the repaired rid
// (Pion's own NACK responder does) makes Pion's receiver replace the
// layer's stream with the repair stream. Without RTX, simulcast
// publishers retransmit on the media SSRC.
func publisherCodecPrefs(info offerInfo, c webrtc.RTPCodecParameters) []webrtc.RTPCodecParameters {
	if len(info.rids) == 0 {
		return info.codecPrefs(c)
	}
	c.PayloadType = 0
	return []webrtc.RTPCodecParameters{c}
}

// codecPrefs returns the codec list that restricts a transceiver to the SFU
// codec c, in the offerer's payload types, with its RTX codec when offered.
func (o *offerInfo) codecPrefs(c webrtc.RTPCodecParameters) []webrtc.RTPCodecParameters {
	for i, vc := range o.videoCodecs {
		if vc.PayloadType != c.PayloadType {
			continue
		}
		main := c
		main.PayloadType = webrtc.PayloadType(o.videoPTs[i].pt)
		prefs := []webrtc.RTPCodecParameters{main}
		if rtx := o.videoPTs[i].rtx; rtx != 0 {
			prefs = append(prefs, webrtc.RTPCodecParameters{
				RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000,
					SDPFmtpLine: "apt=" + strconv.Itoa(int(main.PayloadType))},
				PayloadType: webrtc.PayloadType(rtx),
			})
		}
		return prefs
	}
	c.PayloadType = 0
	return []webrtc.RTPCodecParameters{c}
}

// sectionCodecs lists a media section's codecs in the order of its format
// list, as "kind/name" MIME types with their fmtp lines.
func sectionCodecs(md *sdp.MediaDescription) []sdpCodec {
	names := map[string]string{}
	fmtps := map[string]string{}
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap":
			pt, rest, ok := strings.Cut(a.Value, " ")
			if !ok {
				continue
			}
			name, _, _ := strings.Cut(rest, "/")
			names[pt] = md.MediaName.Media + "/" + name
		case "fmtp":
			pt, rest, ok := strings.Cut(a.Value, " ")
			if ok {
				fmtps[pt] = rest
			}
		}
	}
	var out []sdpCodec
	for _, pt := range md.MediaName.Formats {
		n, err := strconv.Atoi(pt)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		if name, ok := names[pt]; ok {
			out = append(out, sdpCodec{pt: uint8(n), mime: name, fmtp: fmtps[pt]})
		}
	}
	return out
}

// rtxFor returns the payload type of the RTX codec whose apt is pt, or 0.
func rtxFor(codecs []sdpCodec, pt uint8) uint8 {
	for _, c := range codecs {
		if strings.EqualFold(c.mime, webrtc.MimeTypeRTX) && fmtpParam(c.fmtp, "apt") == strconv.Itoa(int(pt)) {
			return c.pt
		}
	}
	return 0
}

// iceParams extracts the ICE credentials and candidates of a local SDP.
func iceParams(raw string) (ICEParams, error) {
	var p ICEParams
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return p, err
	}
	for _, a := range sd.Attributes {
		switch a.Key {
		case "ice-ufrag":
			p.Ufrag = a.Value
		case "ice-pwd":
			p.Pwd = a.Value
		}
	}
	seen := map[string]bool{}
	for _, md := range sd.MediaDescriptions {
		for _, a := range md.Attributes {
			switch a.Key {
			case "ice-ufrag":
				if p.Ufrag == "" {
					p.Ufrag = a.Value
				}
			case "ice-pwd":
				if p.Pwd == "" {
					p.Pwd = a.Value
				}
			case "candidate":
				c := "candidate:" + a.Value
				if !seen[c] {
					seen[c] = true
					p.Candidates = append(p.Candidates, c)
				}
			}
		}
	}
	return p, nil
}

// withICECredentials returns raw with every ice-ufrag and ice-pwd replaced.
func withICECredentials(raw, ufrag, pwd string) (string, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return "", err
	}
	set := func(attrs []sdp.Attribute) {
		for i := range attrs {
			switch attrs[i].Key {
			case "ice-ufrag":
				attrs[i].Value = ufrag
			case "ice-pwd":
				attrs[i].Value = pwd
			}
		}
	}
	set(sd.Attributes)
	for _, md := range sd.MediaDescriptions {
		set(md.Attributes)
	}
	sd.Origin.SessionVersion++
	b, err := sd.Marshal()
	return string(b), err
}
