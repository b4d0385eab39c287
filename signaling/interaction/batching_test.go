package interaction

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// fakeConn records frames; a gate, until closed, blocks Send (a slow viewer).
type fakeConn struct {
	mu     sync.Mutex
	frames [][]byte
	gate   chan struct{}
	closed bool
}

func (f *fakeConn) Send(ctx context.Context, data []byte) error {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	f.frames = append(f.frames, append([]byte(nil), data...))
	f.mu.Unlock()
	return nil
}

func (f *fakeConn) Close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}

type tally struct {
	batches, danmaku, dropped, cards int
}

func (f *fakeConn) tally(t testing.TB) tally {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s tally
	for _, fr := range f.frames {
		var m struct {
			Type    string            `json:"type"`
			Danmaku []json.RawMessage `json:"danmaku"`
			Dropped int               `json:"dropped"`
		}
		if err := json.Unmarshal(fr, &m); err != nil {
			t.Fatalf("frame %s: %v", fr, err)
		}
		switch m.Type {
		case "batch":
			s.batches++
			s.danmaku += len(m.Danmaku)
			s.dropped += m.Dropped
		case "card":
			s.cards++
		}
	}
	return s
}

// TestBatching checks the fan-out contract: at most one batch per viewer
// per interval however many danmaku arrive; a slow viewer loses the oldest
// danmaku, never cards, and is told how many (received + dropped = sent);
// a fast viewer loses nothing when the room stays under its queue length.
func TestBatching(t *testing.T) {
	tests := []struct {
		name     string
		fast     int
		slow     int
		rounds   int // intervals with danmaku
		perRound int
		queue    int
	}{
		{"fast viewers get everything", 20, 0, 10, 30, 64},
		{"slow viewer drops oldest", 5, 2, 12, 40, 64},
		{"room over twice the queue drops oldest for all", 3, 1, 5, 100, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testenv.Backends(t, testenv.Embedded)
			ns := testenv.Namespace(t)
			defer verifyNoLeaks(t, b, ns)()
			// The test flushes each interval itself: the room's own loop
			// never ticks.
			h := newHub(t, b, ns, nil, func(o *Options) {
				o.Chat.ViewerQueueLength = tt.queue
				o.Chat.BatchInterval = time.Hour
			})
			ctx := context.Background()
			var fast, slow []*fakeConn
			gate := make(chan struct{})
			for i := 0; i < tt.fast+tt.slow; i++ {
				c := &fakeConn{}
				if i >= tt.fast {
					c.gate = gate
					slow = append(slow, c)
				} else {
					fast = append(fast, c)
				}
				if _, err := h.Join(ctx, JoinRequest{Room: "room1", Who: auth.Identity{UserID: fmt.Sprint("u", i)}, Channel: c, Count: true}); err != nil {
					t.Fatal(err)
				}
			}
			r := h.room("room1")
			sent := 0
			for round := 0; round < tt.rounds; round++ {
				for i := 0; i < tt.perRound; i++ {
					r.addDanmaku(&protocol.Danmaku{ID: fmt.Sprintf("m%d-%d", round, i), User: "u0", Text: "hi", At: 1})
					sent++
				}
				r.flushBatch() // one interval ends
				// A fast viewer's writer takes the batch before the next
				// interval ends, as it would in the interval's time.
				testenv.Eventually(t, 10*time.Second, func() bool {
					for _, m := range *r.members.Load() {
						if c := m.conn.(*fakeConn); c.gate == nil && m.out.Len() > 0 {
							return false
						}
					}
					return true
				}, "fast viewers never drained their queues")
			}
			r.setCard([]byte(`{"room":"room1","shown":true,"product_id":"p9","version":5}`), true)
			close(gate) // slow viewers catch up
			all := append(append([]*fakeConn{}, fast...), slow...)
			testenv.Eventually(t, 10*time.Second, func() bool {
				for _, c := range all {
					s := c.tally(t)
					if s.danmaku+s.dropped != sent || s.cards != 1 {
						return false
					}
				}
				return true
			}, "not every viewer accounted for %d danmaku and got the card: %v", sent, tallies(t, all))
			for i, c := range all {
				s := c.tally(t)
				if s.batches > tt.rounds {
					t.Errorf("viewer %d got %d batches in %d intervals, at most one per interval allowed", i, s.batches, tt.rounds)
				}
				isSlow := i >= tt.fast
				if !isSlow && tt.perRound <= tt.queue && s.dropped != 0 {
					t.Errorf("fast viewer %d dropped %d", i, s.dropped)
				}
				if isSlow && s.dropped == 0 {
					t.Errorf("slow viewer %d dropped nothing (%+v)", i, s)
				}
			}
			if tt.perRound > 2*tt.queue { // the room keeps 2× the viewer queue per interval
				if s := fast[0].tally(t); s.dropped == 0 || s.danmaku > tt.rounds*2*tt.queue+2*tt.queue {
					t.Errorf("room-level drops: fast viewer got %d and %d dropped, with %d sent in %d rounds", s.danmaku, s.dropped, sent, tt.rounds)
				}
			}
			// Closing the hub stops every goroutine (goleak checks).
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := h.Close(cctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func tallies(t testing.TB, cs []*fakeConn) []tally {
	var out []tally
	for _, c := range cs {
		out = append(out, c.tally(t))
	}
	return out
}

// discardConn is a viewer that accepts everything.
type discardConn struct{}

func (discardConn) Send(context.Context, []byte) error { return nil }
func (discardConn) Close()                             {}

// BenchmarkFanOut encodes one batch of 50 danmaku (500 danmaku/s at 100 ms)
// for a room of N viewers and drains every viewer's queue as its writer
// would. Allocations do not grow with viewers: one frame per room per
// interval is shared by all.
func BenchmarkFanOut(b *testing.B) {
	for _, viewers := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("viewers=%d", viewers), func(b *testing.B) {
			opts := Options{}
			opts.defaults()
			h := &Hub{opts: opts, met: newMetrics(nil)}
			h.ctx, h.cancel = context.WithCancel(context.Background())
			defer h.cancel()
			r := newRoom(h, "bench")
			members := make([]*member, viewers)
			for i := range members {
				members[i] = newMember(h, r, auth.Identity{UserID: fmt.Sprint("u", i)}, false, "", discardConn{})
			}
			r.members.Store(&members)
			ds := make([]protocol.Danmaku, 50)
			for i := range ds {
				ds[i] = protocol.Danmaku{ID: fmt.Sprintf("node-%d", i), User: "user-123", Name: "Viewer", Text: "这件好看吗？ looks great", At: 1700000000000}
			}
			var scratch []byte
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for i := range ds {
					r.pending.add(&ds[i], "p-0123456789abcdef")
				}
				r.online.Add(1)
				r.flushBatch()
				for _, m := range members {
					f, dropped, ok := m.out.Pop()
					if ok && dropped > 0 {
						scratch = protocol.WithDropped(scratch[:0], f.Data, f.DroppedAt, dropped)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(viewers), "ns/viewer")
		})
	}
}

// BenchmarkFanOutNaive is the design batching replaces: every danmaku
// encoded and queued for every viewer as its own message.
func BenchmarkFanOutNaive(b *testing.B) {
	const viewers = 1000
	ds := make([]protocol.Danmaku, 50)
	for i := range ds {
		ds[i] = protocol.Danmaku{ID: fmt.Sprintf("node-%d", i), User: "user-123", Name: "Viewer", Text: "这件好看吗？ looks great", At: 1700000000000}
	}
	queues := make([]chan []byte, viewers)
	for i := range queues {
		queues[i] = make(chan []byte, 64)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range ds {
			for _, q := range queues {
				msg, _ := json.Marshal(struct {
					V       int               `json:"v"`
					Type    string            `json:"type"`
					Danmaku *protocol.Danmaku `json:"danmaku"`
				}{1, "danmaku", &ds[i]})
				q <- msg
				<-q
			}
		}
	}
}
