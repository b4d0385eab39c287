package signaling

import (
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/pion/sdp/v3"
)

// Content types of the WHIP/WHEP resources.
const (
	ContentTypeSDP     = "application/sdp"
	ContentTypeSDPFrag = "application/trickle-ice-sdpfrag"
	ContentTypeJSON    = "application/json"
)

// maxMediaSections bounds the m= sections of an offer: audio, video and a
// data channel are all livesell needs.
const maxMediaSections = 8

// ErrMalformedOffer means a body is not an SDP offer livesell can read.
var ErrMalformedOffer = errors.New("signaling: malformed SDP offer")

// OfferInfo is what the signaling layer keeps from an offer: the client's
// ICE credentials (to tell an ICE restart from a trickle) and its media
// sections (to place trickled candidates).
type OfferInfo struct {
	Ufrag, Pwd string
	// Mids are the a=mid values of the m= sections, in order.
	Mids []string
	// Kinds are the media kinds ("audio", "video", "application"), in order.
	Kinds []string
	// Candidates is how many remote candidates the offer keeps after
	// CandidatePolicy.FilterOffer (set by the handler, not ValidateOffer).
	Candidates int
}

// IsContentType reports whether a Content-Type header names want, ignoring
// parameters and case.
func IsContentType(header, want string) bool {
	mt, _, err := mime.ParseMediaType(header)
	return err == nil && strings.EqualFold(mt, want)
}

// ValidateOffer checks an SDP offer before it reaches the media engine:
// within maxBytes, parseable, with 1..8 m= sections that each carry an
// a=mid, and ICE credentials at session or media level. Codec and track
// rules are the engine's (sfu.ErrUnsupportedMedia).
func ValidateOffer(body []byte, maxBytes int) (OfferInfo, error) {
	if len(body) == 0 {
		return OfferInfo{}, fmt.Errorf("%w: empty body", ErrMalformedOffer)
	}
	if len(body) > maxBytes {
		return OfferInfo{}, fmt.Errorf("%w: larger than %d bytes", ErrMalformedOffer, maxBytes)
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(string(body)); err != nil {
		return OfferInfo{}, fmt.Errorf("%w: %v", ErrMalformedOffer, err)
	}
	if len(d.MediaDescriptions) == 0 {
		return OfferInfo{}, fmt.Errorf("%w: no m= section", ErrMalformedOffer)
	}
	if len(d.MediaDescriptions) > maxMediaSections {
		return OfferInfo{}, fmt.Errorf("%w: more than %d m= sections", ErrMalformedOffer, maxMediaSections)
	}
	var info OfferInfo
	info.Ufrag, _ = d.Attribute("ice-ufrag")
	info.Pwd, _ = d.Attribute("ice-pwd")
	for i, m := range d.MediaDescriptions {
		mid, ok := m.Attribute("mid")
		if !ok || !validToken(mid, 32) {
			return OfferInfo{}, fmt.Errorf("%w: m= section %d has no valid a=mid", ErrMalformedOffer, i)
		}
		for _, seen := range info.Mids {
			if seen == mid {
				return OfferInfo{}, fmt.Errorf("%w: duplicate a=mid %q", ErrMalformedOffer, mid)
			}
		}
		info.Mids = append(info.Mids, mid)
		info.Kinds = append(info.Kinds, m.MediaName.Media)
		if info.Ufrag == "" {
			info.Ufrag, _ = m.Attribute("ice-ufrag")
		}
		if info.Pwd == "" {
			info.Pwd, _ = m.Attribute("ice-pwd")
		}
	}
	if !validICEChars(info.Ufrag, 4) || !validICEChars(info.Pwd, 22) {
		return OfferInfo{}, fmt.Errorf("%w: missing or bad a=ice-ufrag/a=ice-pwd", ErrMalformedOffer)
	}
	return info, nil
}
