package interaction

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/testenv"
)

// Close ends everything the hub started — rooms, writers (also one stuck
// on a client that never reads), a WHEP viewer's room, a lossy channel
// waiting for its reliable one — and returns only when all of it is gone.
func TestCloseWaitsForEverything(t *testing.T) {
	b := testenv.Backends(t, testenv.Embedded)
	ns := testenv.Namespace(t)
	defer verifyNoLeaks(t, b, ns)()

	h := newHub(t, b, ns, newFakeRooms("r1", "r2"), nil)
	ctx := context.Background()
	stuck := &fakeConn{gate: make(chan struct{})} // never released
	var sessions []*Session
	for i, c := range []*fakeConn{{}, {}, stuck} {
		s, err := h.Join(ctx, JoinRequest{Room: "r1", Who: auth.Identity{UserID: string(rune('a' + i))}, Channel: c, Count: true, Pair: true})
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	h.ViewerJoined("r2", auth.Identity{UserID: "whep"}) // never leaves
	waiting := make(chan error, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_, _, err := h.JoinLossy(wctx, "r1", "nobody", noLossy{})
		waiting <- err
	}()
	// The lossy channel of a joined user pairs at once.
	if _, detach, err := h.JoinLossy(ctx, "r1", "a", noLossy{}); err != nil {
		t.Fatalf("lossy channel of a joined user: %v", err)
	} else {
		detach()
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := h.Close(cctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := <-waiting; !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiting lossy channel got %v after Close, want context.Canceled", err)
	}
	h.pairs.mu.Lock()
	left := len(h.pairs.ready)
	h.pairs.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d lossy-channel waits left behind", left)
	}
	for i, s := range sessions {
		select {
		case <-s.Done():
		default:
			t.Fatalf("session %d's writer still runs after Close", i)
		}
	}
	if _, err := h.Join(ctx, JoinRequest{Room: "r1", Who: auth.Identity{UserID: "late"}, Channel: &fakeConn{}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("join after close: %v, want ErrClosed", err)
	}
}

// noLossy is a lossy channel that is never open.
type noLossy struct{}

func (noLossy) SendLossy([]byte) LossyResult { return LossyUnavailable }
