package signaling

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pion/ice/v4"
)

// Limits of a trickle-ice-sdpfrag body.
const (
	maxFragLines      = 256
	maxFragCandidates = 64
	maxFragLineLen    = 1024
	maxICECharLen     = 256
)

// ErrMalformedFragment means a trickle-ice-sdpfrag body could not be parsed.
var ErrMalformedFragment = errors.New("signaling: malformed trickle-ice-sdpfrag")

// Fragment is a parsed application/trickle-ice-sdpfrag body (RFC 8840 as
// used by RFC 9725): ICE credentials, which announce an ICE restart when
// they differ from the current ones, and trickled candidates.
type Fragment struct {
	// Ufrag and Pwd are the a=ice-ufrag and a=ice-pwd values, if present.
	Ufrag, Pwd string
	// Candidates are the a=candidate lines, in order.
	Candidates []FragmentCandidate
	// EndOfCandidates is set by a=end-of-candidates.
	EndOfCandidates bool
}

// FragmentCandidate is one trickled candidate and the media section it was
// listed under.
type FragmentCandidate struct {
	// Value is the attribute value, starting with "candidate:".
	Value string
	// Mid is the a=mid of its m= section ("" when there was none).
	Mid string
	// MLine is the index of its m= section in the fragment (-1 before any).
	MLine int
}

// ParseFragment parses a trickle-ice-sdpfrag body. It accepts the lines RFC
// 8840 defines (a=ice-ufrag, a=ice-pwd, a=ice-options, m=, a=mid,
// a=candidate, a=end-of-candidates) and ignores other attributes and c=
// lines; anything else, a candidate that does not parse, conflicting
// credentials or a body over the limits fails with ErrMalformedFragment.
func ParseFragment(body []byte) (Fragment, error) {
	var f Fragment
	mline := -1
	mid := ""
	var pending []int // candidates of the current m= section waiting for its a=mid
	lines := 0
	for len(body) > 0 {
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if lines++; lines > maxFragLines {
			return Fragment{}, fmt.Errorf("%w: more than %d lines", ErrMalformedFragment, maxFragLines)
		}
		if len(line) > maxFragLineLen {
			return Fragment{}, fmt.Errorf("%w: line longer than %d bytes", ErrMalformedFragment, maxFragLineLen)
		}
		s := string(line)
		switch {
		case strings.HasPrefix(s, "m="):
			if len(strings.Fields(s[2:])) < 3 {
				return Fragment{}, fmt.Errorf("%w: bad m= line", ErrMalformedFragment)
			}
			mline++
			mid = ""
			pending = pending[:0]
		case strings.HasPrefix(s, "a=mid:"):
			if mline < 0 {
				return Fragment{}, fmt.Errorf("%w: a=mid before any m= line", ErrMalformedFragment)
			}
			mid = s[len("a=mid:"):]
			if !validToken(mid, 32) {
				return Fragment{}, fmt.Errorf("%w: bad a=mid", ErrMalformedFragment)
			}
			for _, i := range pending {
				f.Candidates[i].Mid = mid
			}
			pending = pending[:0]
		case strings.HasPrefix(s, "a=ice-ufrag:"):
			v := s[len("a=ice-ufrag:"):]
			if !validICEChars(v, 4) || (f.Ufrag != "" && f.Ufrag != v) {
				return Fragment{}, fmt.Errorf("%w: bad or conflicting a=ice-ufrag", ErrMalformedFragment)
			}
			f.Ufrag = v
		case strings.HasPrefix(s, "a=ice-pwd:"):
			v := s[len("a=ice-pwd:"):]
			if !validICEChars(v, 22) || (f.Pwd != "" && f.Pwd != v) {
				return Fragment{}, fmt.Errorf("%w: bad or conflicting a=ice-pwd", ErrMalformedFragment)
			}
			f.Pwd = v
		case strings.HasPrefix(s, "a=candidate:"):
			if len(f.Candidates) >= maxFragCandidates {
				return Fragment{}, fmt.Errorf("%w: more than %d candidates", ErrMalformedFragment, maxFragCandidates)
			}
			v := s[len("a="):]
			if _, err := ice.UnmarshalCandidate(v[len("candidate:"):]); err != nil {
				return Fragment{}, fmt.Errorf("%w: candidate: %v", ErrMalformedFragment, err)
			}
			f.Candidates = append(f.Candidates, FragmentCandidate{Value: v, Mid: mid, MLine: mline})
			if mline >= 0 && mid == "" {
				pending = append(pending, len(f.Candidates)-1)
			}
		case s == "a=end-of-candidates":
			f.EndOfCandidates = true
		case strings.HasPrefix(s, "a=") || strings.HasPrefix(s, "c="):
			// a=ice-options, a=group and anything newer: not needed here.
		default:
			return Fragment{}, fmt.Errorf("%w: unexpected line %.20q", ErrMalformedFragment, s)
		}
	}
	if (f.Ufrag == "") != (f.Pwd == "") {
		return Fragment{}, fmt.Errorf("%w: a=ice-ufrag and a=ice-pwd go together", ErrMalformedFragment)
	}
	return f, nil
}

// AppendFragment appends the server's trickle-ice-sdpfrag after an ICE
// restart: its new credentials and candidates under one m= section (the
// session is bundled) of kind with the given mid.
func AppendFragment(dst []byte, ufrag, pwd, kind, mid string, candidates []string) []byte {
	if kind == "" {
		kind = "audio"
	}
	dst = append(dst, "a=ice-ufrag:"...)
	dst = append(dst, ufrag...)
	dst = append(dst, "\r\na=ice-pwd:"...)
	dst = append(dst, pwd...)
	dst = append(dst, "\r\nm="...)
	dst = append(dst, kind...)
	dst = append(dst, " 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:"...)
	dst = append(dst, mid...)
	dst = append(dst, "\r\n"...)
	for _, c := range candidates {
		dst = append(dst, "a="...)
		if !strings.HasPrefix(c, "candidate:") {
			dst = append(dst, "candidate:"...)
		}
		dst = append(dst, c...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "a=end-of-candidates\r\n"...)
}

// validICEChars reports whether s is minLen..maxICECharLen ice-chars
// (ALPHA / DIGIT / "+" / "/", RFC 8839).
func validICEChars(s string, minLen int) bool {
	if len(s) < minLen || len(s) > maxICECharLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// validToken reports whether s is 1..maxLen visible ASCII characters other
// than space.
func validToken(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
