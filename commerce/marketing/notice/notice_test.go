package notice

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// TestPublish: a notice reaches a subscriber of the room's notice subject
// with an id and time filled in, and is kept in the notices stream; a
// notice without a room is refused.
func TestPublish(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := New(ctx, b.JetStream, ns)
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan *nats.Msg, 4)
		sub, err := b.NATS.ChanSubscribe(events.NoticeSubject(ns, "*"), got)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		until := time.Now().Add(time.Minute)
		sent, err := p.Publish(ctx, events.Notice{Room: "r1", Kind: "coupon.pushed", Reliable: true, Until: &until, Data: Data(map[string]string{"coupon_id": "c1"})})
		if err != nil {
			t.Fatal(err)
		}
		if sent.ID == "" || sent.At.IsZero() {
			t.Fatalf("id or time not filled: %+v", sent)
		}
		select {
		case m := <-got:
			var n events.Notice
			if err := json.Unmarshal(m.Data, &n); err != nil || n.ID != sent.ID || n.Room != "r1" || string(n.Data) != `{"coupon_id":"c1"}` {
				t.Fatalf("received %s (%v)", m.Data, err)
			}
		case <-ctx.Done():
			t.Fatal("notice not received")
		}
		st, err := b.JetStream.Stream(ctx, events.NoticesStream(ns))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetLastMsgForSubject(ctx, events.NoticeSubject(ns, "r1")); err != nil {
			t.Fatalf("notice not kept: %v", err)
		}
		if _, err := p.Publish(ctx, events.Notice{Kind: "x"}); err != ErrBadNotice {
			t.Fatalf("no room: %v", err)
		}
	})
}
