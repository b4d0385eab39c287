package web

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrBadICEServer means an ICE server URL could not be understood.
var ErrBadICEServer = errors.New("web: bad ICE server URL")

// ICEServer is one entry of a browser's RTCConfiguration.iceServers.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// ParseICEServers turns the configured STUN/TURN URLs into browser ICE
// servers. It accepts the RFC 7064/7065 forms (stun:host:port,
// turn:host:port?transport=udp, turns:…) and a form carrying credentials,
// turn://user:pass@host:port, which browsers do not accept directly.
func ParseICEServers(list []string) ([]ICEServer, error) {
	out := make([]ICEServer, 0, len(list))
	for _, raw := range list {
		s, err := parseICEServer(strings.TrimSpace(raw))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func parseICEServer(raw string) (ICEServer, error) {
	if raw == "" || len(raw) > 512 {
		return ICEServer{}, fmt.Errorf("%w: %q must be 1 to 512 characters", ErrBadICEServer, raw)
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return ICEServer{}, fmt.Errorf("%w: %q has no scheme", ErrBadICEServer, raw)
	}
	scheme = strings.ToLower(scheme)
	switch scheme {
	case "stun", "stuns", "turn", "turns":
	default:
		return ICEServer{}, fmt.Errorf("%w: %q: scheme must be stun, stuns, turn or turns", ErrBadICEServer, raw)
	}
	var s ICEServer
	if strings.HasPrefix(rest, "//") {
		u, err := url.Parse(raw)
		if err != nil {
			return ICEServer{}, fmt.Errorf("%w: %q: %w", ErrBadICEServer, raw, err)
		}
		if u.User != nil {
			s.Username = u.User.Username()
			s.Credential, _ = u.User.Password()
		}
		rest = u.Host
		if u.RawQuery != "" {
			rest += "?" + u.RawQuery
		}
	}
	host, query, _ := strings.Cut(rest, "?")
	if host == "" || strings.ContainsAny(host, "/@ \t\r\n") {
		return ICEServer{}, fmt.Errorf("%w: %q has no host", ErrBadICEServer, raw)
	}
	if query != "" && query != "transport=udp" && query != "transport=tcp" {
		return ICEServer{}, fmt.Errorf("%w: %q: only ?transport=udp|tcp is allowed", ErrBadICEServer, raw)
	}
	if (scheme == "stun" || scheme == "stuns") && (s.Username != "" || query != "") {
		return ICEServer{}, fmt.Errorf("%w: %q: stun takes no credentials or transport", ErrBadICEServer, raw)
	}
	u := scheme + ":" + host
	if query != "" {
		u += "?" + query
	}
	s.URLs = []string{u}
	return s, nil
}
