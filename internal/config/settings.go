package config

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// setting is one configurable value: its flag name, environment variable,
// help text and a flag.Value that writes into the Config.
type setting struct {
	name  string // flag name and YAML key
	env   []string
	help  string
	value flag.Value
}

func (c *Config) settings() []setting {
	var all []setting
	for _, area := range [][]setting{c.coreSettings(), c.notifySettings(), c.recordingSettings()} {
		all = append(all, area...)
	}
	return all
}

func (c *Config) coreSettings() []setting {
	return []setting{
		{"http-addr", envs("HTTP_ADDR"), "listen address of the HTTP server", (*stringValue)(&c.HTTPAddr)},
		{"public-url", envs("PUBLIC_URL"), "base URL clients reach this node at (absolute http(s) URL); empty derives it from each request; set it on every node of a cluster so WHEP can be redirected to the node holding a room's publisher", (*stringValue)(&c.PublicURL)},
		{"sign-in-url", envs("SIGN_IN_URL"), "where the viewer room sends a guest who wants to buy (absolute http(s) URL; {return} becomes the room's address); empty shows no sign-in link", (*stringValue)(&c.SignInURL)},
		{"admin-token", envs("ADMIN_TOKEN"), "bearer token for operator endpoints; empty generates one into <data-dir>/admin-token", (*stringValue)(&c.AdminToken)},
		{"data-dir", envs("DATA_DIR"), "directory of the embedded stores and generated secrets", (*stringValue)(&c.DataDir)},
		{"cors-origins", envs("CORS_ORIGINS"), "comma-separated origins allowed to call the APIs from a browser (* = any)", (*listValue)(&c.CORSOrigins)},
		{"trusted-proxies", envs("TRUSTED_PROXIES"), "comma-separated reverse-proxy IPs/CIDRs whose X-Forwarded-For names the client (per-IP limits)", (*listValue)(&c.TrustedProxies)},
		{"log-level", envs("LOG_LEVEL"), "debug, info, warn or error", (*stringValue)(&c.LogLevel)},
		{"log-format", envs("LOG_FORMAT"), "text or json", (*stringValue)(&c.LogFormat)},
		{"shutdown-grace", envs("SHUTDOWN_GRACE"), "how long graceful shutdown may take", (*durationValue)(&c.ShutdownGrace)},
		{"drain-timeout", envs("DRAIN_TIMEOUT"), "before a node with a public URL stops (or on POST /api/admin/drain): how long it drains — /readyz 503, new viewers sent to other nodes, its viewers' sessions ended in batches so their players reconnect elsewhere (0: at once)", (*durationValue)(&c.DrainTimeout)},
		{"metrics-token", envs("METRICS_TOKEN"), "bearer token /metrics requires (empty: /metrics is only served on metrics-addr, or not at all)", (*stringValue)(&c.MetricsToken)},
		{"metrics-addr", envs("METRICS_ADDR"), "separate listen address of /metrics, e.g. 127.0.0.1:9090 (empty: on http-addr, behind metrics-token)", (*stringValue)(&c.MetricsAddr)},

		{"redis-url", append(envs("REDIS_URL"), "REDIS_URL"), "Redis URL (redis://127.0.0.1:6379/0); empty runs an in-process Redis-compatible store", (*stringValue)(&c.Store.RedisURL)},
		{"database-url", append(envs("DATABASE_URL"), "DATABASE_URL"), "PostgreSQL URL (postgres://…); empty uses an embedded SQLite file in the data dir", (*stringValue)(&c.Store.DatabaseURL)},
		{"nats-url", append(envs("NATS_URL"), "NATS_URL"), "NATS URL with JetStream (nats://127.0.0.1:4222); empty runs an in-process NATS server", (*stringValue)(&c.Store.NATSURL)},
		{"namespace", envs("NAMESPACE"), "prefix of Redis keys, NATS subjects and streams, so deployments can share servers", (*stringValue)(&c.Store.Namespace)},

		{"jwt-secret", envs("JWT_SECRET"), "HS256 secret of user tokens; empty generates one into <data-dir>/jwt-secret", (*stringValue)(&c.Auth.JWTSecret)},
		{"jwks-url", envs("JWKS_URL"), "JWKS URL to verify the shop's own RS256/ES256 user tokens", (*stringValue)(&c.Auth.JWKSURL)},
		{"jwt-issuer", envs("JWT_ISSUER"), "required iss of tokens checked against the JWKS (empty: not checked)", (*stringValue)(&c.Auth.JWTIssuer)},
		{"jwt-audience", envs("JWT_AUDIENCE"), "required aud of tokens checked against the JWKS (empty: not checked)", (*stringValue)(&c.Auth.JWTAudience)},
		{"token-ttl", envs("TOKEN_TTL"), "lifetime of user tokens minted by POST /api/tokens", (*durationValue)(&c.Auth.TokenTTL)},

		{"ice-interfaces", envs("ICE_INTERFACES"), "comma-separated network interfaces ICE may use (lo = loopback only); empty = all", (*listValue)(&c.Media.ICEInterfaces)},
		{"nat-1to1-ips", envs("NAT_1TO1_IPS"), "comma-separated public IPs advertised for 1:1 NAT", (*listValue)(&c.Media.NAT1To1IPs)},
		{"udp-port", envs("UDP_PORT"), "UDP port shared by all media sessions (0 = one the OS picks, unless a port range is set)", (*intValue)(&c.Media.UDPMuxPort)},
		{"udp-port-min", envs("UDP_PORT_MIN"), "with udp-port 0: lowest port of a range giving each PeerConnection its own port (0 = no range)", (*intValue)(&c.Media.UDPPortMin)},
		{"udp-port-max", envs("UDP_PORT_MAX"), "with udp-port 0: highest port of that range (0 = no range)", (*intValue)(&c.Media.UDPPortMax)},
		{"ice-tcp-port", envs("ICE_TCP_PORT"), "TCP port for ICE-TCP fallback (0 = off)", (*intValue)(&c.Media.ICETCPPort)},
		{"ice-servers", envs("ICE_SERVERS"), "comma-separated STUN/TURN URLs advertised to clients (turn://user:pass@host:port)", (*listValue)(&c.Media.ICEServers)},
		{"max-publishers", envs("MAX_PUBLISHERS"), "publishers this node accepts before answering 503 (0 = unlimited)", (*intValue)(&c.Media.MaxPublishers)},
		{"max-viewers", envs("MAX_VIEWERS"), "viewers this node accepts (0 = unlimited); past it a new viewer is redirected (307) to a less-loaded node serving the room, else answered 503", (*intValue)(&c.Media.MaxViewers)},
		{"max-sdp-bytes", envs("MAX_SDP_BYTES"), "largest SDP or trickle body accepted", (*intValue)(&c.Media.MaxBodyBytes)},
		{"session-rate", envs("SESSION_RATE"), "WHIP/WHEP offers per second one client address may make, sustained (direct loopback peers are exempt)", (*floatValue)(&c.Media.SessionRate)},
		{"session-burst", envs("SESSION_BURST"), "WHIP/WHEP offers one client address may make in a burst", (*intValue)(&c.Media.SessionBurst)},
		{"sessions-per-address", envs("SESSIONS_PER_ADDRESS"), "open WHIP/WHEP sessions one client address (IPv6: /64) may hold", (*intValue)(&c.Media.SessionsPerAddress)},
		{"ice-connect-timeout", envs("ICE_CONNECT_TIMEOUT"), "a session whose ICE has not connected within this is closed", (*durationValue)(&c.Media.ICEConnectTimeout)},
		{"max-remote-candidates", envs("MAX_REMOTE_CANDIDATES"), "remote ICE candidates kept per session (offer and trickle together); more are dropped", (*intValue)(&c.Media.MaxRemoteCandidates)},
		{"cascade", envs("CASCADE"), "serve viewers of rooms published on another node from this node (one link to the origin per room, needs node-secret and public-url); off, they are redirected (307) to the origin", (*boolValue)(&c.Media.Cascade)},
		{"node-secret", envs("NODE_SECRET"), "credential the nodes of a cluster present to each other for cascade links (the same on every node, at least 32 bytes)", (*stringValue)(&c.Media.NodeSecret)},
		{"cascade-upstream", envs("CASCADE_UPSTREAM"), "base URL of a regional edge (e.g. the Service of the regional tier) this node links to for rooms published elsewhere, instead of their origin; it falls back to the origin while the upstream cannot be linked (empty = link to the origin)", (*stringValue)(&c.Media.CascadeUpstream)},
		{"cascade-max-depth", envs("CASCADE_MAX_DEPTH"), "longest chain of cascade links a room may take (origin -> regional -> edge is 2); longer relay requests, and loops of upstreams, are refused with relay_too_deep", (*intValue)(&c.Media.CascadeMaxDepth)},
		{"allow-private-candidates", envs("ALLOW_PRIVATE_CANDIDATES"), "accept remote ICE candidates on private, link-local and loopback addresses (LAN deployments; loopback is always accepted with ice-interfaces=lo)", (*boolValue)(&c.Media.AllowPrivateCandidates)},
		{"turn-secret", envs("TURN_SECRET"), "TURN REST API shared secret (coturn static-auth-secret): WHIP/WHEP answers carry short-lived credentials for the turn: ice-servers", (*stringValue)(&c.Media.TURNSecret)},
		{"turn-ttl", envs("TURN_TTL"), "lifetime of the short-lived TURN credentials", (*durationValue)(&c.Media.TURNCredentialTTL)},

		{"chat-batch-interval", envs("CHAT_BATCH_INTERVAL"), "how often each viewer gets one batch of room events", (*durationValue)(&c.Chat.BatchInterval)},
		{"chat-max-runes", envs("CHAT_MAX_RUNES"), "longest danmaku in characters after trimming", (*intValue)(&c.Chat.MaxDanmakuRunes)},
		{"chat-anonymous", envs("CHAT_ANONYMOUS"), "default for new rooms: may anonymous viewers comment", (*boolValue)(&c.Chat.AnonymousChat)},
		{"chat-blocked-words", envs("CHAT_BLOCKED_WORDS"), "file with one blocked word per line, loaded at start", (*stringValue)(&c.Chat.BlockedWordsFile)},
		{"chat-danmaku-rate", envs("CHAT_DANMAKU_RATE"), "danmaku per second one user may send (token bucket)", (*floatValue)(&c.Chat.DanmakuPerSecond)},
		{"chat-like-rate", envs("CHAT_LIKE_RATE"), "like messages per second one user may send (token bucket)", (*floatValue)(&c.Chat.LikesPerSecond)},
		{"chat-recent", envs("CHAT_RECENT"), "recent danmaku kept per room for late joiners", (*intValue)(&c.Chat.RecentDanmaku)},
		{"chat-queue", envs("CHAT_QUEUE"), "danmaku queued per slow viewer before the oldest are dropped", (*intValue)(&c.Chat.ViewerQueueLength)},

		{"order-ttl", envs("ORDER_TTL"), "how long an unpaid order holds its stock", (*durationValue)(&c.Commerce.OrderTTL)},
		{"reconcile-interval", envs("RECONCILE_INTERVAL"), "how often Redis stock is reconciled from the SQL store", (*durationValue)(&c.Commerce.ReconcileInterval)},
		{"callback-window", envs("CALLBACK_WINDOW"), "how old a signed payment callback may be", (*durationValue)(&c.Commerce.CallbackWindow)},
		{"payment-sandbox", envs("PAYMENT_SANDBOX"), "sandbox payment provider (anyone may 'pay' with it without money): on or off; never on in production", (*stringValue)(&c.Commerce.Sandbox)},
		{"unpaid-per-user", envs("UNPAID_PER_USER"), "most units of one product one user may hold unpaid (0 = no cap)", (*intValue)(&c.Commerce.MaxUnpaidPerUser)},
		{"unpaid-per-address", envs("UNPAID_PER_ADDRESS"), "most units of one product held unpaid from one client address (0 = no cap; loopback is not capped)", (*intValue)(&c.Commerce.MaxUnpaidPerAddress)},
		{"live-order-ttl", envs("LIVE_ORDER_TTL"), "how long an unpaid order at a room's live (or flash-sale) price holds its stock, when shorter than order-ttl", (*durationValue)(&c.Commerce.LiveOrderTTL)},
		{"live-max-discount", envs("LIVE_MAX_DISCOUNT"), "largest live discount (percent) an anchor may give a product whose admin set no floor (-1 = no cap)", (*intValue)(&c.Commerce.LiveMaxDiscount)},
		{"image-store", envs("IMAGE_STORE"), "where uploaded product images are kept: empty = <data-dir>/images, or s3://host[:port]/bucket[/prefix]?region=R (s3+http:// without TLS)", (*stringValue)(&c.Commerce.ImageStore)},
		{"image-store-access-key", envs("IMAGE_STORE_ACCESS_KEY"), "access key of the S3-compatible image store", (*stringValue)(&c.Commerce.ImageStoreAccessKey)},
		{"image-store-secret-key", envs("IMAGE_STORE_SECRET_KEY"), "secret key of the S3-compatible image store", (*stringValue)(&c.Commerce.ImageStoreSecretKey)},
		{"outbox-retention", envs("OUTBOX_RETENTION"), "how long order events already relayed to JetStream stay in the SQL outbox", (*durationValue)(&c.Commerce.OutboxRetention)},
		{"sandbox-secret", envs("SANDBOX_SECRET"), "HMAC secret of the sandbox payment provider; empty generates one into <data-dir>", (*stringValue)(&c.Commerce.SandboxSecret)},
		{"stripe-secret-key", envs("STRIPE_SECRET_KEY"), "Stripe secret key (enables the stripe provider)", (*stringValue)(&c.Commerce.StripeSecretKey)},
		{"stripe-webhook-secret", envs("STRIPE_WEBHOOK_SECRET"), "Stripe webhook signing secret", (*stringValue)(&c.Commerce.StripeWebhookKey)},
		{"risk-hook-url", envs("RISK_HOOK_URL"), "the shop's risk webhook: may veto a draw winner or a prize claim (empty: none)", (*stringValue)(&c.Commerce.RiskHookURL)},
		{"risk-hook-secret", envs("RISK_HOOK_SECRET"), "HMAC secret signing the risk webhook's requests", (*stringValue)(&c.Commerce.RiskHookSecret)},
		{"wechat-appid", envs("WECHAT_APPID"), "WeChat Pay app id (enables the wechatpay provider)", (*stringValue)(&c.Commerce.WeChatAppID)},
		{"wechat-mchid", envs("WECHAT_MCHID"), "WeChat Pay merchant id", (*stringValue)(&c.Commerce.WeChatMchID)},
		{"wechat-apiv3-key", envs("WECHAT_APIV3_KEY"), "WeChat Pay API v3 key (32 bytes, decrypts callback resources)", (*stringValue)(&c.Commerce.WeChatAPIv3Key)},
		{"wechat-platform-cert", envs("WECHAT_PLATFORM_CERT"), "PEM file of the WeChat Pay platform certificate (verifies callbacks)", (*stringValue)(&c.Commerce.WeChatPlatformCert)},
		{"wechat-private-key", envs("WECHAT_PRIVATE_KEY"), "PEM file of the merchant API private key (signs requests)", (*stringValue)(&c.Commerce.WeChatPrivateKey)},
		{"review-webhook-url", envs("REVIEW_WEBHOOK_URL"), "where each show's final after-show report is posted when the show ends (signed X-Livesell-Signature: sha256=HMAC(review-webhook-secret, timestamp.body)); empty: none", (*stringValue)(&c.Commerce.ReviewWebhookURL)},
		{"review-webhook-secret", envs("REVIEW_WEBHOOK_SECRET"), "HMAC-SHA256 secret of the report webhook (at least 32 bytes when review-webhook-url is set)", (*stringValue)(&c.Commerce.ReviewWebhookSecret)},
		{"review-after", envs("REVIEW_AFTER"), "the N of the report's \"sales in the N minutes after a product's explanation\"", (*durationValue)(&c.Commerce.ReviewAfter)},
		{"wechat-serial-no", envs("WECHAT_SERIAL_NO"), "serial number of the merchant API certificate", (*stringValue)(&c.Commerce.WeChatSerialNo)},
	}
}

func envs(suffix string) []string { return []string{"LIVESELL_" + suffix} }

type stringValue string

func (v *stringValue) String() string     { return string(*v) }
func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }

type intValue int

func (v *intValue) String() string { return strconv.Itoa(int(*v)) }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("not a whole number: %q", s)
	}
	*v = intValue(n)
	return nil
}

type floatValue float64

func (v *floatValue) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }
func (v *floatValue) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("not a number: %q", s)
	}
	*v = floatValue(f)
	return nil
}

type boolValue bool

func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }
func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("not true or false: %q", s)
	}
	*v = boolValue(b)
	return nil
}

type durationValue time.Duration

func (v *durationValue) String() string { return time.Duration(*v).String() }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("not a duration such as 100ms or 15m: %q", s)
	}
	*v = durationValue(d)
	return nil
}

type listValue []string

func (v *listValue) String() string { return strings.Join(*v, ",") }
func (v *listValue) Set(s string) error {
	*v = nil
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*v = append(*v, part)
		}
	}
	return nil
}
