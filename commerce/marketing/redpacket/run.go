package redpacket

import (
	"context"
	"fmt"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
)

// Notifier tells a room about its packets (a room notice).
type Notifier interface {
	Publish(ctx context.Context, room, kind string, data any, reliable bool, until *time.Time) error
}

// Rain is many packets released over a window: Count packets of Spec
// (each with Spec's total, count and split), the first at Spec.OpensAt and
// the others every Every after it.
type Rain struct {
	Spec  Spec
	Count int
	Every time.Duration
}

// LaunchRain creates every packet of r; each opens at its time.
func (s *Service) LaunchRain(ctx context.Context, r Rain) (string, []Packet, error) {
	if r.Count < 1 || r.Count > 100 {
		return "", nil, fmt.Errorf("%w: a rain has 1 to 100 packets", ErrInvalid)
	}
	if r.Every < 0 || r.Every > time.Hour {
		return "", nil, fmt.Errorf("%w: every must be between 0 and 1h", ErrInvalid)
	}
	if err := r.Spec.Check(); err != nil {
		return "", nil, err
	}
	start := r.Spec.OpensAt
	if start.IsZero() || start.Before(s.now()) {
		start = s.now()
	}
	rain := ids.New("rain_")
	out := make([]Packet, 0, r.Count)
	for i := 0; i < r.Count; i++ {
		sp := r.Spec
		sp.OpensAt = start.Add(time.Duration(i) * r.Every)
		p, err := s.Launch(ctx, ids.New("rp_"), sp, rain)
		if err != nil {
			return rain, out, err
		}
		out = append(out, p)
	}
	return rain, out, nil
}

// Tick announces packets whose time to open has come and closes those
// that ended (each once across nodes: the state change is the claim).
func (s *Service) Tick(ctx context.Context, n Notifier) error {
	now := s.now()
	opening, err := s.store.due(ctx, Scheduled, now)
	if err != nil {
		return err
	}
	for _, p := range opening {
		if ok, err := s.store.move(ctx, p.ID, Scheduled, Open); err != nil || !ok {
			continue
		}
		p.Status = Open
		until := p.EndsAt
		if n != nil {
			if err := n.Publish(ctx, p.Room, "redpacket.launched", p, true, &until); err != nil {
				s.log.Warn("red packet notice", "packet", p.ID, "err", err)
			}
		}
	}
	ending, err := s.store.due(ctx, Open, now)
	if err != nil {
		return err
	}
	for _, p := range ending {
		if ok, err := s.store.move(ctx, p.ID, Open, closing); err != nil || !ok {
			continue
		}
		c, err := s.Close(ctx, p.ID)
		if err != nil {
			s.log.Warn("red packet close", "packet", p.ID, "err", err)
			continue
		}
		if n != nil {
			if err := n.Publish(ctx, c.Room, "redpacket.ended", c, false, nil); err != nil {
				s.log.Warn("red packet notice", "packet", p.ID, "err", err)
			}
		}
	}
	return nil
}

// closing marks a packet one node is settling.
const closing = "closing"

// Run ticks every interval until ctx ends.
func (s *Service) Run(ctx context.Context, n Notifier, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Tick(ctx, n); err != nil && ctx.Err() == nil {
				s.log.Warn("red packet tick", "err", err)
			}
		}
	}
}

// Totals are room's red-packet analytics, counting the grabs of packets
// still running (from Redis) with the settled ones (from SQL).
func (s *Service) Totals(ctx context.Context, room string) (Totals, error) {
	t, err := s.store.Totals(ctx, room)
	if err != nil {
		return t, err
	}
	running, err := s.store.query(ctx, `SELECT `+packetCols+` FROM redpackets WHERE room = $1 AND status <> $2`, room, Closed)
	if err != nil {
		return t, err
	}
	for _, p := range running {
		vals, err := s.rdb.HVals(ctx, s.keys(p.ID)[2]).Result()
		if err != nil {
			return t, fmt.Errorf("redpacket: totals: %w", err)
		}
		t.Grabs += len(vals)
		for _, v := range vals {
			var n int64
			fmt.Sscan(v, &n)
			t.PaidMinor += n
		}
	}
	return t, nil
}
