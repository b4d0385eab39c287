package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

// Errors a PushKeys implementation answers for a key that does not
// authenticate; anything else it returns is an outage (a 500, not counted
// as a failed attempt).
var (
	// ErrInvalidPushKey: unknown key, a key of another room, or no such room.
	ErrInvalidPushKey = errors.New("auth: push key not valid for this room")
	// ErrPushKeyRevoked: the key existed but was revoked.
	ErrPushKeyRevoked = errors.New("auth: push key revoked")
)

// PushKeyPrefix starts every push key, so that a leaked key is recognisable
// and a bearer token is told apart from a JWT without verifying it twice.
const PushKeyPrefix = "lsk_"

// PushKeys verifies a room's push keys (signaling/room's Store does).
type PushKeys interface {
	// PushKeyID returns the id of key if it is an active push key of room,
	// else an error wrapping ErrInvalidPushKey or ErrPushKeyRevoked.
	PushKeyID(ctx context.Context, room, key string) (keyID string, err error)
}

// Accept is the set of credential kinds a check admits.
type Accept uint8

// Credential kinds.
const (
	// Admin is the operator's token.
	Admin Accept = 1 << iota
	// PushKey is a push key of the credential's room (the anchor).
	PushKey
	// User is a user JWT (HS256 or JWKS).
	User
	// AllowAnonymous admits a request without a token as a fresh anonymous
	// identity; a token that is presented must still verify.
	AllowAnonymous
	// Metrics is the metrics token (scrapers of /metrics).
	Metrics
	// Node is the cluster's node credential (edges asking an origin for a
	// room's media, POST /relay/{room}).
	Node
	// PlaybackGrant admits a playback grant (?grant=, MintGrant) for the
	// path it was minted for, when no Authorization header is sent.
	PlaybackGrant
)

// Kind says which credential a Principal presented.
type Kind uint8

// Principal kinds.
const (
	KindAnonymous Kind = iota
	KindAdmin
	KindPushKey
	KindUser
	KindMetrics
	KindNode
	// KindGrant presented a playback grant; Identity.Rooms names the room
	// it was minted in (it was admitted when the grant was minted).
	KindGrant
)

// Principal is who a checked credential names.
type Principal struct {
	Identity
	Kind Kind
	// KeyID is the push key's id (KindPushKey only), for logs and revocation.
	KeyID string
}

// Credential is what a request presents.
type Credential struct {
	// Token is the bearer token ("" for none).
	Token string
	// Room is the room a push key must belong to ("" accepts no push key).
	Room string
	// Addr is the client's address (ClientAddr): the failure limiter's key.
	Addr netip.Addr
	// Grant is a playback grant presented in place of Token ("" for none),
	// and Path the request's path it must cover.
	Grant, Path string
}

// Options configure an Authenticator.
type Options struct {
	// AdminToken is the operator's token; empty admits no admin.
	AdminToken string
	// MetricsToken is the scrapers' token; empty admits none.
	MetricsToken string
	// NodeSecret is the credential the nodes of a cluster present to each
	// other (cascade relays); empty admits none.
	NodeSecret string
	// Users verifies user JWTs; nil admits no user token.
	Users *Verifier
	// PushKeys verifies push keys; nil admits no push key.
	PushKeys PushKeys
	// Failures limits failed attempts; zero fields take the defaults.
	Failures FailureLimits
	// GrantSecret keys the playback grants (the admin token: the same on
	// every node); empty keys them for this process only.
	GrantSecret string
	// Now is the clock grants are checked against; nil means time.Now.
	Now func() time.Time
	// Logger records refused floods (never a token); nil discards.
	Logger *slog.Logger
}

// Authenticator checks every credential livesell accepts, each by one
// function, with one failed-attempt limiter. A credential is verified
// first: a correct one is never refused, whoever else is failing; only
// failures are counted, and an address (or the whole node) over its failure
// budget is answered 429 too_many_failures instead of 401.
type Authenticator struct {
	admin    string
	metrics  string
	node     string
	users    *Verifier
	keys     PushKeys
	failures *FailureLimiter
	log      *slog.Logger
	grantKey []byte
	now      func() time.Time
}

// New returns an Authenticator.
func New(opt Options) *Authenticator {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	return &Authenticator{admin: opt.AdminToken, metrics: opt.MetricsToken, node: opt.NodeSecret, users: opt.Users, keys: opt.PushKeys,
		failures: NewFailureLimiter(opt.Failures), log: log, grantKey: grantKey(opt.GrantSecret), now: now}
}

// Users is the user-token verifier (for minting), or nil.
func (a *Authenticator) Users() *Verifier { return a.users }

// IsAdminToken reports, in constant time, whether tok is the admin token.
func (a *Authenticator) IsAdminToken(tok string) bool { return SecretEqual(tok, a.admin) }

// Check verifies cred against the kinds in accept and returns who it names.
// Errors are *apierr.Error: missing_token, invalid_token, invalid_push_key,
// push_key_revoked, too_many_failures (only ever for a credential that
// failed), or internal when a store cannot answer.
func (a *Authenticator) Check(ctx context.Context, cred Credential, accept Accept) (Principal, error) {
	tok := cred.Token
	if tok == "" && cred.Grant != "" && accept&PlaybackGrant != 0 {
		g, err := a.checkGrant(cred.Grant, cred.Room, cred.Path, a.now())
		if err != nil {
			return Principal{}, a.failed(cred, apierr.Wrap(apierr.CodeInvalidGrant, err))
		}
		return Principal{Identity: Identity{UserID: g.user, Rooms: []string{g.room}}, Kind: KindGrant}, nil
	}
	if tok == "" {
		if accept&AllowAnonymous != 0 {
			return Principal{Identity: Anonymous(), Kind: KindAnonymous}, nil
		}
		return Principal{}, apierr.New(apierr.CodeMissingToken)
	}
	if accept&Admin != 0 && a.IsAdminToken(tok) {
		return Principal{Identity: AdminIdentity(), Kind: KindAdmin}, nil
	}
	if accept&Metrics != 0 && SecretEqual(tok, a.metrics) {
		return Principal{Identity: Identity{UserID: "metrics"}, Kind: KindMetrics}, nil
	}
	if accept&Node != 0 && SecretEqual(tok, a.node) {
		return Principal{Identity: Identity{UserID: "node"}, Kind: KindNode}, nil
	}
	if strings.HasPrefix(tok, PushKeyPrefix) {
		if accept&PushKey != 0 && cred.Room != "" && a.keys != nil {
			id, err := a.keys.PushKeyID(ctx, cred.Room, tok)
			switch {
			case err == nil:
				return Principal{Identity: Anchor(cred.Room), Kind: KindPushKey, KeyID: id}, nil
			case errors.Is(err, ErrPushKeyRevoked):
				return Principal{}, a.failed(cred, apierr.Wrap(apierr.CodePushKeyRevoked, err))
			case !errors.Is(err, ErrInvalidPushKey):
				return Principal{}, apierr.Internal(err)
			}
		}
		if accept&(PushKey|User) == 0 && accept&Admin != 0 {
			// A push key (or a guess at one) where only the operator may act.
			return Principal{}, a.failed(cred, apierr.New(apierr.CodeAdminOnly))
		}
		return Principal{}, a.failed(cred, a.refusal(accept))
	}
	if accept&User != 0 && a.users != nil {
		id, err := a.users.Verify(ctx, tok)
		if err == nil {
			return Principal{Identity: id, Kind: KindUser}, nil
		}
		if errors.Is(err, ErrJWKSUnavailable) {
			return Principal{}, apierr.Wrap(apierr.CodeTimeout, err)
		}
		return Principal{}, a.failed(cred, apierr.Wrap(apierr.CodeInvalidToken, err))
	}
	return Principal{}, a.failed(cred, a.refusal(accept))
}

// refusal is the error for a token that is none of the accepted kinds.
func (a *Authenticator) refusal(accept Accept) *apierr.Error {
	if accept&PushKey != 0 && accept&User == 0 {
		return apierr.New(apierr.CodeInvalidPushKey)
	}
	return apierr.New(apierr.CodeInvalidToken)
}

// failed counts a failed attempt and returns refusal, or too_many_failures
// when the address or the node is over its failure budget.
func (a *Authenticator) failed(cred Credential, refusal *apierr.Error) error {
	if ok, retry := a.failures.Fail(cred.Addr); !ok {
		return apierr.New(apierr.CodeTooManyFailures).WithRetryAfter(retry).WithCause(refusal)
	}
	return refusal
}

// AdminIdentity is the identity of the operator's token.
func AdminIdentity() Identity { return Identity{UserID: "admin", Admin: true} }
