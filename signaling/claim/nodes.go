package claim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// NodeKey is the Redis key of node id's load record under namespace ns.
// The braces make the node the hash tag (one slot per record).
func NodeKey(ns, id string) string { return ns + ":media:node:{" + id + "}" }

// maxLoadBytes bounds a stored load record.
const maxLoadBytes = 4096

// Load is a node's load record: what the other nodes need to send a viewer
// to the least-loaded node serving a room. Each node publishes its own
// with a TTL and refreshes it; a node that stops refreshing (crashed) has
// none once it expires.
type Load struct {
	NodeID string `json:"-"`
	// URL is the node's public base URL.
	URL string `json:"url"`
	// Viewers is the node's WHEP viewers now: the load figure.
	Viewers int `json:"viewers"`
	// MaxViewers is the node's viewer cap (0: none); a node at its cap
	// takes no redirected viewer.
	MaxViewers int `json:"max_viewers,omitempty"`
	// Draining: the node is about to stop and takes no new viewer.
	Draining bool `json:"draining,omitempty"`
}

// Full reports whether l's node is at its viewer cap.
func (l Load) Full() bool { return l.MaxViewers > 0 && l.Viewers >= l.MaxViewers }

// PublishLoad stores this node's load record for ttl (its NodeID and URL
// are this node's, whatever l says): one SET.
func (c *Claims) PublishLoad(ctx context.Context, l Load, ttl time.Duration) error {
	l.URL = c.self.URL
	v, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("claim: load record: %w", err)
	}
	if err := c.rdb.Set(ctx, NodeKey(c.ns, c.self.NodeID), v, ttl).Err(); err != nil {
		return fmt.Errorf("claim: publish load: %w", err)
	}
	return nil
}

// WithdrawLoad deletes this node's load record (at shutdown).
func (c *Claims) WithdrawLoad(ctx context.Context) error {
	if err := c.rdb.Del(ctx, NodeKey(c.ns, c.self.NodeID)).Err(); err != nil {
		return fmt.Errorf("claim: withdraw load: %w", err)
	}
	return nil
}

// Loads returns the load records of the nodes ids that have one, in one
// pipeline. A record that does not parse, or whose URL is not a base URL,
// is left out as if absent.
func (c *Claims) Loads(ctx context.Context, ids []string) (map[string]Load, error) {
	out := make(map[string]Load, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cmds := make([]*redis.StringCmd, len(ids))
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, NodeKey(c.ns, id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("claim: loads: %w", err)
	}
	for i, cmd := range cmds {
		v, err := cmd.Bytes()
		if err != nil || len(v) > maxLoadBytes {
			continue
		}
		var l Load
		if json.Unmarshal(v, &l) != nil || l.Viewers < 0 {
			continue
		}
		if l.URL, err = checkBaseURL(l.URL); err != nil {
			continue
		}
		l.NodeID = ids[i]
		out[ids[i]] = l
	}
	return out, nil
}
