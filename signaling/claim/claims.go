package claim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/internal/auth"
)

// ErrHeld is returned by Claim when another node holds the room.
var ErrHeld = errors.New("claim: room held by another node")

// Defaults of Options.
const (
	DefaultTTL     = 5 * time.Second
	DefaultRefresh = 1500 * time.Millisecond
)

// takeScript sets the claim when it is absent or already ours (with a new
// TTL) and returns the value in place afterwards: ours on success, the
// holder's otherwise. KEYS[1] claim key; ARGV[1] our value; ARGV[2] TTL ms.
var takeScript = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return v
`

// releaseScript deletes the claim only while it is still ours.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

var takeOnce = redis.NewScript(takeScript)

// Hold identifies one holding of a room's claim, for Release. Holds of a
// claim that was lost, or already released, release nothing.
type Hold uint64

// entry is a held room: how many local publishers hold it, and the Hold of
// this holding (a claim lost and taken again gets a new one).
type entry struct {
	refs int
	hold Hold
	lost chan struct{} // closed when another node takes the claim
}

// Options configure Claims.
type Options struct {
	// Redis is the store shared by every node (required).
	Redis redis.UniversalClient
	// Namespace prefixes the keys (required).
	Namespace string
	// PublicURL is the base URL other nodes redirect viewers to (required:
	// a node without one runs single-node and needs no Claims).
	PublicURL string
	// NodeID identifies this process; empty generates a random one.
	NodeID string
	// TTL is how long a claim outlives its last refresh; 0 means DefaultTTL.
	TTL time.Duration
	// Refresh is the refresh period; 0 means DefaultRefresh, and it is
	// capped below TTL/2.
	Refresh time.Duration
	// OnLost is called (from the refresher, without locks held) for a room
	// whose claim another node took while this one still held it, e.g.
	// after a Redis outage longer than TTL. It may call Release.
	OnLost func(room string)
	// Probe tells whether a node holding a room Claim asks for is gone,
	// so that its claim is taken over at once (HTTPProbe); nil waits every
	// claim out until its TTL.
	Probe Prober
	// Logger receives the logs; nil means slog.Default().
	Logger *slog.Logger
}

// Claims holds this node's room claims and keeps them fresh. Create it with
// New and stop it with Close.
type Claims struct {
	rdb     redis.UniversalClient
	ns      string
	self    Owner
	value   string
	ttl     time.Duration
	refresh time.Duration
	onLost  func(string)
	probe   Prober
	log     *slog.Logger

	mu    sync.Mutex        // held across the Redis calls that change a claim
	held  map[string]*entry // rooms this node holds
	gen   Hold              // last Hold handed out
	ttlMS int64

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// New checks opts and starts the refresher.
func New(opts Options) (*Claims, error) {
	if opts.Redis == nil {
		return nil, errors.New("claim: no redis")
	}
	if opts.Namespace == "" {
		return nil, errors.New("claim: no namespace")
	}
	base, err := checkBaseURL(opts.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("claim: public URL: %w", err)
	}
	if opts.NodeID == "" {
		opts.NodeID = auth.RandomSecret(8)
	}
	if err := checkNodeID(opts.NodeID); err != nil {
		return nil, err
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.TTL < 100*time.Millisecond {
		return nil, fmt.Errorf("claim: TTL %s is below 100ms", opts.TTL)
	}
	if opts.Refresh <= 0 {
		opts.Refresh = DefaultRefresh
	}
	if opts.Refresh > opts.TTL/2 {
		opts.Refresh = opts.TTL / 2
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &Claims{
		rdb:     opts.Redis,
		ns:      opts.Namespace,
		self:    Owner{NodeID: opts.NodeID, URL: base},
		ttl:     opts.TTL,
		refresh: opts.Refresh,
		onLost:  opts.OnLost,
		probe:   opts.Probe,
		log:     opts.Logger,
		held:    map[string]*entry{},
		ttlMS:   opts.TTL.Milliseconds(),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	c.value = c.self.String()
	go c.refresher()
	return c, nil
}

// Key is the Redis key of room's claim under namespace ns. The braces make
// the room the hash tag, so a Redis Cluster keeps a claim in one slot.
func Key(ns, room string) string { return ns + ":media:room:{" + room + "}" }

// Self is this node's owner record.
func (c *Claims) Self() Owner { return c.self }

// Claim makes this node the owner of room, or returns an error wrapping
// ErrHeld (with the holder) when another node's claim is in place. A
// holder that the Prober finds gone loses its claim to this node at once
// (takeover.go) instead of when it expires. Every successful Claim must be
// matched by a Release of its Hold; the claim is deleted when the last one
// is.
func (c *Claims) Claim(ctx context.Context, room string) (Hold, error) {
	h, holder, err := c.take(ctx, room, takeOnce, c.value, c.ttlMS)
	if err != nil || holder == "" {
		return h, err
	}
	if !c.holderGone(ctx, holder) {
		return 0, fmt.Errorf("%w: %s", ErrHeld, holderURL(holder))
	}
	h, now, err := c.take(ctx, room, stealScript, holder, c.value, c.ttlMS)
	if err != nil {
		return 0, err
	}
	if now != "" {
		// The claim changed hands since the probe: another node was faster.
		return 0, fmt.Errorf("%w: %s", ErrHeld, holderURL(now))
	}
	c.log.Warn("room claim taken over from a node that is gone", "room", room, "holder", holderURL(holder))
	return h, nil
}

// take runs script (takeOnce or stealScript) on room's claim under c.mu and
// records a hold when the claim is ours afterwards; otherwise it returns
// the value in place (the holder).
func (c *Claims) take(ctx context.Context, room string, script *redis.Script, args ...any) (Hold, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	got, err := script.Run(ctx, c.rdb, []string{Key(c.ns, room)}, args...).Text()
	if err != nil {
		return 0, "", fmt.Errorf("claim: take %s: %w", room, err)
	}
	if got != c.value {
		return 0, got, nil
	}
	e := c.held[room]
	if e == nil {
		c.gen++
		e = &entry{hold: c.gen, lost: make(chan struct{})}
		c.held[room] = e
	}
	e.refs++
	return e.hold, "", nil
}

// holderURL is the holder's base URL for an error message ("?" when the
// value is not an owner record).
func holderURL(v string) string {
	o, err := ParseOwner(v)
	if err != nil {
		return "?"
	}
	return o.URL
}

// Release drops one hold on room's claim; the last one deletes the claim
// from Redis if it is still ours. Releasing a Hold of a claim that was lost
// or released meanwhile is a no-op.
func (c *Claims) Release(ctx context.Context, room string, h Hold) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.held[room]
	if e == nil || e.hold != h {
		return nil
	}
	if e.refs > 1 {
		e.refs--
		return nil
	}
	delete(c.held, room)
	if err := releaseScript.Run(ctx, c.rdb, []string{Key(c.ns, room)}, c.value).Err(); err != nil {
		// The claim will expire by itself within TTL.
		return fmt.Errorf("claim: release %s: %w", room, err)
	}
	return nil
}

// Lost returns a channel closed once another node takes the claim of room
// that h holds (e.g. after a Redis outage longer than TTL): the local
// publish must end. For a Hold no longer held it is closed already.
func (c *Claims) Lost(room string, h Hold) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.held[room]; e != nil && e.hold == h {
		return e.lost
	}
	gone := make(chan struct{})
	close(gone)
	return gone
}

// Holds reports whether this node holds room's claim.
func (c *Claims) Holds(room string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held[room] != nil
}

// Lookup returns the current owner of room, if any. A stored value that is
// not an owner record is reported as ErrInvalidOwner.
func (c *Claims) Lookup(ctx context.Context, room string) (Owner, bool, error) {
	v, err := c.rdb.Get(ctx, Key(c.ns, room)).Result()
	if errors.Is(err, redis.Nil) {
		return Owner{}, false, nil
	}
	if err != nil {
		return Owner{}, false, fmt.Errorf("claim: lookup %s: %w", room, err)
	}
	o, err := ParseOwner(v)
	if err != nil {
		return Owner{}, false, err
	}
	return o, true, nil
}

// OwnerURL returns the base URL of the node holding room when that is
// another node, and "" when nobody holds it or this node (or one at this
// node's own URL, e.g. its previous incarnation) does: a redirect there
// would loop.
func (c *Claims) OwnerURL(ctx context.Context, room string) (string, error) {
	o, ok, err := c.Lookup(ctx, room)
	if err != nil || !ok {
		return "", err
	}
	if o.NodeID == c.self.NodeID || o.URL == c.self.URL {
		return "", nil
	}
	return o.URL, nil
}

// refresher renews every held claim each Refresh period until Close.
func (c *Claims) refresher() {
	defer close(c.done)
	t := time.NewTicker(c.refresh)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		for _, room := range c.renew() {
			c.log.Warn("room claim taken by another node; ending the local publish", "room", room)
			if c.onLost != nil {
				c.onLost(room)
			}
		}
	}
}

// renew refreshes the held claims in one pipeline (re-creating any that
// vanished, e.g. after a Redis restart) and returns the rooms another node
// took meanwhile, which are no longer held.
func (c *Claims) renew() (lost []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.held) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.ttl/2)
	defer cancel()
	rooms := make([]string, 0, len(c.held))
	cmds := make([]*redis.Cmd, 0, len(c.held))
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for room := range c.held {
			rooms = append(rooms, room)
			cmds = append(cmds, p.Eval(ctx, takeScript, []string{Key(c.ns, room)}, c.value, c.ttlMS))
		}
		return nil
	})
	if err != nil {
		c.log.Warn("room claims not refreshed", "rooms", len(rooms), "err", err)
		return nil
	}
	for i, cmd := range cmds {
		if got, err := cmd.Text(); err == nil && got != c.value {
			close(c.held[rooms[i]].lost)
			delete(c.held, rooms[i])
			lost = append(lost, rooms[i])
		}
	}
	return lost
}

// Close stops the refresher and deletes the claims still held, or gives up
// when ctx is done (they then expire within TTL).
func (c *Claims) Close(ctx context.Context) error {
	c.stopOnce.Do(func() { close(c.stop) })
	select {
	case <-c.done:
	case <-ctx.Done():
		return fmt.Errorf("claim: close: %w", ctx.Err())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for room := range c.held {
		if err := releaseScript.Run(ctx, c.rdb, []string{Key(c.ns, room)}, c.value).Err(); err != nil {
			errs = append(errs, fmt.Errorf("claim: release %s: %w", room, err))
		}
		delete(c.held, room)
	}
	return errors.Join(errs...)
}
