package web

import "github.com/livesell/livesell/internal/iceserver"

// ErrBadICEServer means an ICE server URL could not be understood
// (iceserver.ErrInvalid).
var ErrBadICEServer = iceserver.ErrInvalid

// ICEServer is one entry of a browser's RTCConfiguration.iceServers.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// ParseICEServers turns the configured STUN/TURN URLs into browser ICE
// servers, parsed by the one ICE-server parser (internal/iceserver): the
// forms the WHIP/WHEP Link headers accept, credentials moved out of the URL
// (browsers do not take turn:user:pass@host).
func ParseICEServers(list []string) ([]ICEServer, error) {
	parsed, err := iceserver.ParseList(list)
	if err != nil {
		return nil, err
	}
	out := make([]ICEServer, len(parsed))
	for i, s := range parsed {
		out[i] = ICEServer{URLs: []string{s.URL()}, Username: s.Username, Credential: s.Credential}
	}
	return out, nil
}
