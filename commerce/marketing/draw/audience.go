package draw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/livesell/livesell/internal/events"
)

// Audience enters viewers into the open draws of their room from the
// interaction layer's audience events (a danmaku with the keyword, a
// like), read from the node's events.AudienceFeed. Entries are idempotent,
// so several nodes seeing one event enter its viewer once.
type Audience struct {
	s     *Service
	mu    sync.Mutex
	rooms map[string][]Draw // open draws by room, refreshed every second
	at    time.Time
}

// NewAudience returns the consumer of s.
func NewAudience(s *Service) *Audience { return &Audience{s: s} }

// Start consumes feed until the returned stop is called. The feed's
// callback must not block: events are queued (danmaku and likes only) and
// handled on a goroutine of the consumer's own; a full queue drops events,
// as the feed's contract allows.
func (a *Audience) Start(ctx context.Context, feed events.AudienceFeed) (stop func(), err error) {
	queue := make(chan events.AudienceEvent, 4096)
	cancel, err := feed.Subscribe("*", func(ev events.AudienceEvent) {
		if (ev.Kind != events.AudienceDanmaku && ev.Kind != events.AudienceLike && ev.Kind != events.AudienceJoined) || ev.UserID == "" {
			return
		}
		select {
		case queue <- ev:
		default:
		}
	})
	if err != nil {
		return nil, fmt.Errorf("draw: subscribe: %w", err)
	}
	ctx, end := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-queue:
				if err := a.Handle(ctx, ev); err != nil && ctx.Err() == nil {
					a.s.d.Log.Warn("draw: audience event", "room", ev.Room, "err", err)
				}
			}
		}
	}()
	return func() { cancel(); end(); <-done }, nil
}

// ParseAudience decodes an audience event (at most 8 KiB).
func ParseAudience(data []byte) (events.AudienceEvent, error) {
	var ev events.AudienceEvent
	if len(data) > 8192 {
		return ev, errors.New("draw: audience event too large")
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, fmt.Errorf("draw: audience event: %w", err)
	}
	if ev.Room == "" || ev.Kind == "" {
		return ev, errors.New("draw: audience event without room or kind")
	}
	return ev, nil
}

// Handle enters ev's viewer into each open draw of its room it satisfies.
func (a *Audience) Handle(ctx context.Context, ev events.AudienceEvent) error {
	var via string
	switch ev.Kind {
	case events.AudienceJoined:
		// A signed-in viewer seen in a room is an account livesell knows
		// from then on (draws excluding new accounts look at this first
		// sighting when the shop says nothing of the account's age).
		if ev.UserID == "" || a.s.d.Accounts == nil || strings.HasPrefix(ev.UserID, "anon-") {
			return nil
		}
		at := ev.At
		if at.IsZero() {
			at = time.Now()
		}
		_, err := a.s.d.Accounts.Seen(ctx, ev.UserID, at)
		return err
	case events.AudienceDanmaku:
		via = ViaDanmaku
	case events.AudienceLike:
		via = ViaLike
	default:
		return nil
	}
	if ev.UserID == "" || ev.Replay {
		return nil
	}
	ds, err := a.open(ctx, ev.Room)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if (d.Rule == RuleKeyword && via == ViaDanmaku && Matches(d.Keyword, ev.Text)) || (d.Rule == RuleLike && via == ViaLike) {
			if _, _, err := a.s.Enter(ctx, d, ev.UserID, via, ev.Text); err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrNewAccount) {
				return err
			}
		}
	}
	return nil
}

// Forget drops the cache, so a draw just opened is seen at once.
func (a *Audience) Forget() {
	a.mu.Lock()
	a.rooms = nil
	a.mu.Unlock()
}

func (a *Audience) open(ctx context.Context, room string) ([]Draw, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rooms == nil || time.Since(a.at) > time.Second {
		ds, err := a.s.OpenDraws(ctx)
		if err != nil {
			return nil, err
		}
		a.rooms = map[string][]Draw{}
		for _, d := range ds {
			a.rooms[d.Room] = append(a.rooms[d.Room], d)
		}
		a.at = time.Now()
	}
	return a.rooms[room], nil
}

// Run closes due draws every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.d.Log.Warn("draw tick", "err", err)
			}
		}
	}
}
