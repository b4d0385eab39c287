package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A playback grant lets a player that cannot send headers (a <video src>,
// a download link, a WHEP re-POST after a 307 to another origin, which
// drops the Authorization header) fetch one room's resources under one
// path prefix — a recording's media and its clips, the room's WHEP
// endpoint — for a while, in place of the
// viewer's own token: the URL then carries a capability for that prefix
// only, never a credential that opens anything else. A grant is minted for
// a request that was already admitted (Admit, tickets), names the user it
// was minted for, and is checked by the Authenticator like every other
// credential (PlaybackGrant in Accept, ?grant= in the query).

// PlaybackGrantTTL is how long a recording's grant stays valid: a replay
// watched in one sitting, with seeks, fits.
const PlaybackGrantTTL = 4 * time.Hour

// RedirectGrantTTL is how long the grant a 307 to another node carries
// stays valid: the player re-POSTs at once.
const RedirectGrantTTL = time.Minute

// maxGrantLen bounds a presented grant before any decoding.
const maxGrantLen = 1024

// errBadGrant is wrapped by every refusal of a presented grant.
var errBadGrant = errors.New("auth: invalid playback grant")

// grant is what a playback grant says.
type grant struct {
	room, prefix, user string
	expires            time.Time
}

// grantKey derives the grants' signing key from secret (the admin token,
// the same on every node of a cluster); an empty secret gets a random key,
// valid on this process only.
func grantKey(secret string) []byte {
	if secret == "" {
		k := make([]byte, 32)
		rand.Read(k)
		return k
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("livesell playback grant v1"))
	return m.Sum(nil)
}

// MintGrant returns a playback grant for p under prefix (a path such as
// "/api/rooms/r1/recordings/rec_1/") of room, valid for ttl from now, and
// when it expires.
func (a *Authenticator) MintGrant(p Principal, room, prefix string, now time.Time, ttl time.Duration) (string, time.Time) {
	exp := now.Add(ttl).Truncate(time.Second)
	body := strings.Join([]string{"1", room, prefix, p.UserID, strconv.FormatInt(exp.Unix(), 10)}, "\n")
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(body)) + "." + enc.EncodeToString(a.signGrant(body)), exp
}

func (a *Authenticator) signGrant(body string) []byte {
	m := hmac.New(sha256.New, a.grantKey)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// checkGrant verifies tok for a request of path in room at now.
func (a *Authenticator) checkGrant(tok, room, path string, now time.Time) (grant, error) {
	g, err := a.parseGrant(tok)
	if err != nil {
		return grant{}, err
	}
	switch {
	case !now.Before(g.expires):
		return grant{}, fmt.Errorf("%w: expired", errBadGrant)
	case g.room != room || !strings.HasPrefix(path, g.prefix):
		return grant{}, fmt.Errorf("%w: minted for another resource", errBadGrant)
	}
	return g, nil
}

// parseGrant checks tok's form and signature and returns what it says.
func (a *Authenticator) parseGrant(tok string) (grant, error) {
	if len(tok) > maxGrantLen {
		return grant{}, fmt.Errorf("%w: too long", errBadGrant)
	}
	b64, sig64, ok := strings.Cut(tok, ".")
	if !ok {
		return grant{}, fmt.Errorf("%w: malformed", errBadGrant)
	}
	enc := base64.RawURLEncoding
	body, err1 := enc.DecodeString(b64)
	sig, err2 := enc.DecodeString(sig64)
	if err1 != nil || err2 != nil {
		return grant{}, fmt.Errorf("%w: malformed", errBadGrant)
	}
	if !hmac.Equal(sig, a.signGrant(string(body))) {
		return grant{}, fmt.Errorf("%w: bad signature", errBadGrant)
	}
	f := strings.Split(string(body), "\n")
	if len(f) != 5 || f[0] != "1" {
		return grant{}, fmt.Errorf("%w: unknown version", errBadGrant)
	}
	exp, err := strconv.ParseInt(f[4], 10, 64)
	if err != nil {
		return grant{}, fmt.Errorf("%w: malformed expiry", errBadGrant)
	}
	return grant{room: f[1], prefix: f[2], user: f[3], expires: time.Unix(exp, 0)}, nil
}
