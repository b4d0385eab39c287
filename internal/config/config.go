// Package config holds livesell's one Config, parsed once in cmd/livesell from
// (lowest to highest precedence) built-in defaults, an optional YAML file,
// LIVESELL_* environment variables and command-line flags. No other package
// reads the environment: they receive narrow option structs built from it.
package config

import (
	"time"
)

// Config is every setting of the livesell server.
type Config struct {
	// HTTPAddr is the listen address of the HTTP server.
	HTTPAddr string
	// PublicURL is the base URL clients reach this node at (for Location
	// headers and whip_url/whep_url); empty derives it from each request.
	PublicURL string
	// SignInURL is where the viewer page sends a guest who wants to buy;
	// "{return}" in it becomes the page's own address. Empty: no link.
	SignInURL string
	// AdminToken is the bearer token of operator endpoints; empty generates
	// one at start and writes it to DataDir/admin-token.
	AdminToken string
	// DataDir holds the embedded stores and generated secrets.
	DataDir string
	// CORSOrigins lists origins allowed to call the APIs from a browser; "*" allows any.
	CORSOrigins []string
	// TrustedProxies are reverse proxies (IPs or CIDRs) whose
	// X-Forwarded-For names the real client, for per-IP limits.
	TrustedProxies []string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// ShutdownGrace bounds graceful shutdown.
	ShutdownGrace time.Duration
	// DrainTimeout is the drain window before a node of a cluster stops:
	// it fails /readyz, sends new viewers to other nodes and ends its
	// viewers' sessions in batches within it (their players reconnect
	// elsewhere). 0 stops at once.
	DrainTimeout time.Duration
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsAddr, when set, serves /metrics on this separate listener
	// (for example 127.0.0.1:9090) instead of the public one.
	MetricsAddr string

	// Store selects real or embedded backends.
	Store StoreConfig
	// Auth configures user identity.
	Auth AuthConfig
	// Media configures the SFU.
	Media MediaConfig
	// Chat configures the interaction layer.
	Chat ChatConfig
	// Commerce configures orders and payments.
	Commerce CommerceConfig
	// Notify configures reminders and their notifiers.
	Notify NotifyConfig
	// Recording configures the recordings of rooms (recording.go).
	Recording RecordingConfig
}

// StoreConfig selects the backends; empty URLs mean the embedded defaults.
type StoreConfig struct {
	RedisURL    string
	DatabaseURL string
	NATSURL     string
	// Namespace prefixes Redis keys, NATS subjects and stream names so that
	// several deployments (or tests) can share one set of servers.
	Namespace string
}

// AuthConfig configures how user (viewer/buyer) JWTs are verified and minted.
type AuthConfig struct {
	// JWTSecret is the HS256 secret for user tokens; empty generates one in DataDir.
	JWTSecret string
	// JWKSURL, when set, verifies RS256/ES256 user tokens against a JWKS.
	JWKSURL string
	// JWTIssuer and JWTAudience, when set, are required of tokens checked
	// against the JWKS (iss equal, aud naming it).
	JWTIssuer   string
	JWTAudience string
	// TokenTTL is the lifetime of tokens minted by POST /api/tokens.
	TokenTTL time.Duration
}

// MediaConfig configures the SFU and WHIP/WHEP.
type MediaConfig struct {
	// Cascade makes this node an edge of rooms published on other nodes
	// (it links to the origin once and serves its own viewers) instead of
	// redirecting their viewers there; NodeSecret must be set on every node.
	Cascade bool
	// NodeSecret is the credential the nodes of a cluster present to each
	// other (cascade links); empty: the node neither feeds nor links.
	NodeSecret string
	// CascadeUpstream is the base URL of a regional edge (a Service of the
	// regional tier) this node links to for rooms published elsewhere,
	// instead of the room's origin; empty: it links to the origin.
	CascadeUpstream string
	// CascadeMaxDepth bounds the chain of cascade links a room may take
	// (origin → regional → edge is 2); a relay request that would make it
	// longer is refused (relay_too_deep).
	CascadeMaxDepth int
	ICEInterfaces   []string
	NAT1To1IPs      []string
	UDPMuxPort      int
	UDPPortMin      int
	UDPPortMax      int
	ICETCPPort      int
	ICEServers      []string
	MaxPublishers   int
	MaxViewers      int
	MaxBodyBytes    int
	// SessionRate and SessionBurst bound WHIP/WHEP offers per client
	// address (token bucket); SessionsPerAddress bounds its open sessions.
	SessionRate        float64
	SessionBurst       int
	SessionsPerAddress int
	// ICEConnectTimeout closes a session whose ICE has not connected in time.
	ICEConnectTimeout time.Duration
	// MaxRemoteCandidates caps the remote ICE candidates of one session
	// (offer and trickle together).
	MaxRemoteCandidates int
	// AllowPrivateCandidates accepts remote candidates on private,
	// link-local and loopback addresses (a LAN deployment).
	AllowPrivateCandidates bool
	// TURNSecret is the TURN REST API shared secret (coturn's
	// static-auth-secret): answers then carry short-lived credentials for
	// the turn: servers of ICEServers.
	TURNSecret string
	// TURNCredentialTTL is the lifetime of those credentials.
	TURNCredentialTTL time.Duration
}

// ChatConfig configures the interaction layer.
type ChatConfig struct {
	BatchInterval     time.Duration
	MaxDanmakuRunes   int
	AnonymousChat     bool
	BlockedWordsFile  string
	DanmakuPerSecond  float64
	LikesPerSecond    float64
	RecentDanmaku     int
	ViewerQueueLength int
}

// CommerceConfig configures orders and payments.
type CommerceConfig struct {
	OrderTTL          time.Duration
	ReconcileInterval time.Duration
	// Sandbox is "on" or "off" (default): payments without money, on
	// only when asked for.
	Sandbox            string
	SandboxSecret      string
	StripeSecretKey    string
	StripeWebhookKey   string
	WeChatAppID        string
	WeChatMchID        string
	WeChatAPIv3Key     string
	WeChatPlatformCert string
	// ReviewWebhookURL receives each show's final report, signed with
	// ReviewWebhookSecret; ReviewAfter is the report's "sales in the N
	// minutes after an explanation" (commerce/review).
	ReviewWebhookURL    string
	ReviewWebhookSecret string
	ReviewAfter         time.Duration
	WeChatPrivateKey    string
	WeChatSerialNo      string
	CallbackWindow      time.Duration
	// MaxUnpaidPerUser and MaxUnpaidPerAddress cap the units of one
	// product held unpaid by one user and from one address.
	MaxUnpaidPerUser    int
	MaxUnpaidPerAddress int
	// LiveOrderTTL is the shorter hold of orders at a room's live price.
	LiveOrderTTL time.Duration
	// OutboxRetention is how long relayed order events stay in SQL.
	OutboxRetention time.Duration
	// LiveMaxDiscount is the largest live discount (percent) a room may
	// give a product whose admin set no floor (-1 = no cap).
	LiveMaxDiscount int
	// ImageStore is where uploaded product images go: "" = <DataDir>/images,
	// or an S3-compatible store s3://host[:port]/bucket[/prefix]?region=R
	// (s3+http:// without TLS), reached with ImageStoreAccessKey and
	// ImageStoreSecretKey.
	ImageStore          string
	ImageStoreAccessKey string
	ImageStoreSecretKey string
	// RiskHookURL, when set, is the shop's risk webhook, asked before a
	// draw's winner is named and before a prize is claimed (it may veto);
	// RiskHookSecret signs its requests (HMAC-SHA256).
	RiskHookURL    string
	RiskHookSecret string
}
