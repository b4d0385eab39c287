package signaling

import "github.com/livesell/livesell/internal/iceserver"

// ICELinks turns configured ICE servers into Link header values (RFC 9725
// section 4.6), parsed by the one ICE-server parser (internal/iceserver).
func ICELinks(servers []string) ([]string, error) {
	parsed, err := iceserver.ParseList(servers)
	if err != nil {
		return nil, err
	}
	links := make([]string, len(parsed))
	for i, s := range parsed {
		links[i] = s.Link()
	}
	return links, nil
}
