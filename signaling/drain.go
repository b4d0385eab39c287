package signaling

import (
	"context"
	"sync"
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

// A node drains before it stops: it says so in its load record (other
// nodes stop sending viewers to it), new viewers are sent to another node
// serving the room (or refused with 503 draining and Retry-After when there
// is none), new publishers are refused, and the viewers here are moved: after
// a grace their WHEP sessions are ended in small batches spread over the
// drain window, and each player's WHEP reconnect re-POSTs the URL it
// started from, which the ingress or this node's 307 answers elsewhere.

// drainStep is the interval between two batches of ended viewers.
const drainStep = 250 * time.Millisecond

// drainState is set once, when the drain starts.
type drainState struct {
	once sync.Once
	ch   chan struct{}
}

func newDrainState() drainState { return drainState{ch: make(chan struct{})} }

func (d *drainState) begin() { d.once.Do(func() { close(d.ch) }) }

// started is closed when the drain starts.
func (d *drainState) started() <-chan struct{} { return d.ch }

func (d *drainState) active() bool {
	select {
	case <-d.ch:
		return true
	default:
		return false
	}
}

// refuse is the error for a new publisher while draining, else nil.
func (d *drainState) refuse() error {
	if d.active() {
		return apierr.E(apierr.CodeDraining, "this node is draining before it stops; publish again (the address leads to another node)")
	}
	return nil
}

// Drain starts this node's drain and moves its viewers: it waits a fifth of
// window (so that the ingress sees the failing readiness), then ends the
// WHEP sessions in batches every 250 ms until four fifths of window, and
// returns once they have ended, or when ctx is done; at once when there
// is no viewer. A window of 0 ends them all at once. Calling it again moves the viewers that came since.
// Publishers keep their sessions until Close.
func (s *Service) Drain(ctx context.Context, window time.Duration) error {
	if window < 0 {
		window = 0
	}
	first := !s.drain.active()
	s.drain.begin()
	if first {
		s.log.Info("draining", "viewers", s.sessions.viewers(), "window", window)
	}
	if s.sessions.viewers() == 0 {
		return nil // nobody to move
	}
	start := time.Now()
	if err := sleepCtx(ctx, window/5); err != nil {
		return err
	}
	spreadEnd := start.Add(window * 4 / 5)
	ended := map[*resource]bool{}
	var waits []<-chan struct{}
	for {
		var left []*resource
		for _, r := range s.sessions.filter(func(r *resource) bool { return r.kind == kindWHEP }) {
			if !ended[r] {
				left = append(left, r)
			}
		}
		if len(left) == 0 {
			break
		}
		batches := int(time.Until(spreadEnd)/drainStep) + 1
		if batches < 1 {
			batches = 1
		}
		n := (len(left) + batches - 1) / batches
		for _, r := range left[:n] {
			ended[r] = true
			waits = append(waits, r.sess.Done())
			r.sess.Close()
		}
		s.log.Info("draining: viewers moved", "ended", n, "left", len(left)-n)
		if len(left) == n {
			break
		}
		if err := sleepCtx(ctx, drainStep); err != nil {
			return err
		}
	}
	for _, done := range waits {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// sleepCtx waits d, or returns ctx's error when it is done first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
