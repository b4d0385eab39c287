// Package iceserver is the one parser of the configured STUN/TURN servers
// (ice-servers): the WHIP/WHEP Link headers and the browsers' iceServers
// are both written from what it parses, so a form accepted for one is
// accepted for the other.
package iceserver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ErrInvalid means an ICE server URL cannot be used.
var ErrInvalid = errors.New("ice-servers: invalid URL")

// Server is one parsed STUN or TURN server.
type Server struct {
	// Scheme is stun, stuns, turn or turns.
	Scheme string
	// HostPort is host[:port] (an IPv6 host in brackets).
	HostPort string
	// Transport is "", "udp" or "tcp" (TURN only).
	Transport string
	// Username and Credential are static TURN credentials, if any.
	Username, Credential string
}

// TURN reports whether s is a TURN server.
func (s Server) TURN() bool { return s.Scheme == "turn" || s.Scheme == "turns" }

// URL is the RFC 7064/7065 URL, without credentials:
// turn:host:3478?transport=udp.
func (s Server) URL() string {
	u := s.Scheme + ":" + s.HostPort
	if s.Transport != "" {
		u += "?transport=" + s.Transport
	}
	return u
}

// Link is the Link header value of s (RFC 9725 section 4.6); static TURN
// credentials become username and credential with credential-type
// "password".
func (s Server) Link() string {
	l := "<" + s.URL() + `>; rel="ice-server"`
	if s.TURN() && s.Username != "" {
		l += `; username="` + s.Username + `"; credential="` + s.Credential + `"; credential-type="password"`
	}
	return l
}

// Parse reads one ICE server. Accepted forms (scheme case-insensitive):
//
//	stun:host[:port]   stuns:host[:port]
//	turn:[user:pass@]host[:port][?transport=udp|tcp]   (turns: likewise)
//
// with an optional "//" after the scheme (turn://user:pass@host:3478).
// User and password may be percent-encoded; they may not contain quotes,
// backslashes or control characters (they go into a quoted header value).
func Parse(raw string) (Server, error) {
	raw = strings.TrimSpace(raw)
	bad := func(format string, args ...any) (Server, error) {
		return Server{}, fmt.Errorf("%w: %q: %s", ErrInvalid, raw, fmt.Sprintf(format, args...))
	}
	if raw == "" || len(raw) > 512 {
		return bad("must be 1 to 512 characters")
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return bad("want stun:, stuns:, turn: or turns:")
	}
	s := Server{Scheme: strings.ToLower(scheme)}
	switch s.Scheme {
	case "stun", "stuns", "turn", "turns":
	default:
		return bad("want stun:, stuns:, turn: or turns:")
	}
	rest = strings.TrimPrefix(rest, "//")
	rest, query, _ := strings.Cut(rest, "?")
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		u, p, _ := strings.Cut(rest[:at], ":")
		var err1, err2 error
		s.Username, err1 = url.PathUnescape(u)
		s.Credential, err2 = url.PathUnescape(p)
		if err := errors.Join(err1, err2); err != nil {
			return bad("credentials are not valid percent-encoding")
		}
		if s.Username == "" || strings.ContainsFunc(s.Username+s.Credential, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' || r == '\\' }) {
			return bad("credentials must be user:password without quotes, backslashes or control characters")
		}
		rest = rest[at+1:]
	}
	if err := checkHostPort(rest); err != nil {
		return bad("%v", err)
	}
	s.HostPort = rest
	switch query {
	case "":
	case "transport=udp", "transport=tcp":
		s.Transport = strings.TrimPrefix(query, "transport=")
	default:
		return bad("only ?transport=udp or ?transport=tcp may follow the host")
	}
	if !s.TURN() && (s.Username != "" || s.Transport != "") {
		return bad("a STUN server takes no credentials or transport")
	}
	return s, nil
}

// checkHostPort accepts host, host:port, [v6] and [v6]:port.
func checkHostPort(hp string) error {
	if hp == "" {
		return errors.New("no host")
	}
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") || strings.Count(hp, ":") == 1 {
		h, p, err := net.SplitHostPort(hp)
		if err != nil {
			if strings.HasPrefix(hp, "[") && strings.HasSuffix(hp, "]") {
				h, p = hp[1:len(hp)-1], ""
			} else {
				return fmt.Errorf("bad host:port: %v", err)
			}
		}
		host, port = h, p
	} else if strings.Contains(hp, ":") {
		return errors.New("an IPv6 host must be in brackets")
	}
	if host == "" || strings.ContainsFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':' || r == '_')
	}) {
		return fmt.Errorf("bad host %q", host)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("bad port %q", port)
		}
	}
	return nil
}

// ParseList parses every entry of list.
func ParseList(list []string) ([]Server, error) {
	out := make([]Server, 0, len(list))
	for _, raw := range list {
		s, err := Parse(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
