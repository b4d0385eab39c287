package signaling

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/livesell/livesell/internal/iceserver"
)

// TURNOptions make each WHIP/WHEP answer carry TURN credentials of its
// own, short-lived, in the TURN REST API form that coturn
// (use-auth-secret, static-auth-secret) and most TURN servers verify
// without a call back: username "<expiry unix seconds>:<user>", credential
// base64(HMAC-SHA1(secret, username)). A leaked credential expires with
// TTL; nothing long-lived is ever sent to a client.
type TURNOptions struct {
	// URLs are the turn: and turns: servers that share Secret, without
	// credentials (turn:host:port?transport=udp).
	URLs []string
	// Secret is the shared secret (at least 32 bytes).
	Secret string
	// TTL is the credentials' lifetime; 0 means 1h.
	TTL time.Duration
}

// ErrTURNConfig means a TURNOptions cannot be used.
var ErrTURNConfig = errors.New("signaling: TURN REST")

// turnLinks holds the validated Link prefixes of TURNOptions.URLs.
type turnLinks struct {
	bases  []string // `<turn:…>; rel="ice-server"`
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

func newTURNLinks(o TURNOptions) (*turnLinks, error) {
	if len(o.URLs) == 0 && o.Secret == "" {
		return nil, nil
	}
	if len(o.Secret) < 32 {
		return nil, fmt.Errorf("%w: the secret must be at least 32 bytes", ErrTURNConfig)
	}
	if len(o.URLs) == 0 {
		return nil, fmt.Errorf("%w: a secret but no turn: server", ErrTURNConfig)
	}
	t := &turnLinks{secret: []byte(o.Secret), ttl: o.TTL, now: time.Now}
	if t.ttl <= 0 {
		t.ttl = time.Hour
	}
	for _, u := range o.URLs {
		srv, err := iceserver.Parse(u)
		switch {
		case err != nil:
			return nil, err
		case !srv.TURN():
			return nil, fmt.Errorf("%w: %q is not a turn: or turns: URL", ErrTURNConfig, u)
		case srv.Username != "":
			return nil, fmt.Errorf("%w: %q carries static credentials; with a TURN secret they are minted per session", ErrTURNConfig, u)
		}
		t.bases = append(t.bases, srv.Link())
	}
	return t, nil
}

// TURNCredential is the TURN REST API credential of user until expiry.
func TURNCredential(secret, user string, expiry time.Time) (username, credential string) {
	username = strconv.FormatInt(expiry.Unix(), 10) + ":" + user
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// links are the Link header values for one session of user.
func (t *turnLinks) links(user string) []string {
	if t == nil {
		return nil
	}
	username, credential := TURNCredential(string(t.secret), turnUser(user), t.now().Add(t.ttl))
	out := make([]string, len(t.bases))
	for i, base := range t.bases {
		out[i] = base + `; username="` + username + `"; credential="` + credential + `"; credential-type="password"`
	}
	return out
}

// turnUser keeps the characters of a user id that are safe in a TURN
// username and a quoted Link parameter, at most 64 of them.
func turnUser(id string) string {
	var b strings.Builder
	for _, r := range id {
		if b.Len() >= 64 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "livesell"
	}
	return b.String()
}
