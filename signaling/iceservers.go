package signaling

import (
	"fmt"
	"net/url"
	"strings"
)

// ICELinks turns configured ICE servers into Link header values (RFC 9725
// section 4.6). Accepted forms: stun:host[:port], stuns:…, and
// turn:[user:pass@]host[:port][?transport=udp|tcp] (turns: likewise); a
// "//" after the scheme is tolerated. TURN credentials become the username
// and credential parameters with credential-type "password".
func ICELinks(servers []string) ([]string, error) {
	links := make([]string, 0, len(servers))
	for _, raw := range servers {
		l, err := iceLink(strings.TrimSpace(raw))
		if err != nil {
			return nil, err
		}
		links = append(links, l)
	}
	return links, nil
}

func iceLink(raw string) (string, error) {
	scheme, rest, ok := strings.Cut(raw, ":")
	scheme = strings.ToLower(scheme)
	if !ok || rest == "" {
		return "", fmt.Errorf("signaling: ICE server %q: want stun:, stuns:, turn: or turns:", raw)
	}
	switch scheme {
	case "stun", "stuns", "turn", "turns":
	default:
		return "", fmt.Errorf("signaling: ICE server %q: want stun:, stuns:, turn: or turns:", raw)
	}
	rest = strings.TrimPrefix(rest, "//")
	var user, pass string
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		info := rest[:at]
		rest = rest[at+1:]
		u, p, _ := strings.Cut(info, ":")
		var err error
		if user, err = url.PathUnescape(u); err != nil {
			return "", fmt.Errorf("signaling: ICE server user: %w", err)
		}
		if pass, err = url.PathUnescape(p); err != nil {
			return "", fmt.Errorf("signaling: ICE server password: %w", err)
		}
	}
	if rest == "" || strings.ContainsAny(rest, " <>\"\r\n,;") {
		return "", fmt.Errorf("signaling: ICE server %q: bad host", raw)
	}
	if strings.ContainsAny(user+pass, "\"\\\r\n") {
		return "", fmt.Errorf("signaling: ICE server %q: credentials may not contain quotes, backslashes or newlines", raw)
	}
	link := "<" + scheme + ":" + rest + `>; rel="ice-server"`
	if scheme == "turn" || scheme == "turns" {
		if user != "" {
			link += `; username="` + user + `"; credential="` + pass + `"; credential-type="password"`
		}
	} else if user != "" {
		return "", fmt.Errorf("signaling: ICE server %q: STUN servers take no credentials", raw)
	}
	return link, nil
}
