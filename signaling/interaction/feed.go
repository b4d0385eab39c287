package interaction

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// feed is interaction's link with commerce over NATS: product cards and
// paid orders come in (JetStream streams commerce owns), viewer activity
// goes out (for user tags). It is not on a danmaku's path.
type feed struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	ns  string
	log *slog.Logger

	mu       sync.Mutex
	seenPaid []string // recent paid-order event ids, against redelivery
}

// ensureStreams creates the cards and orders streams if they are absent;
// an existing stream is left as it is, so the order in which nodes and
// capabilities start does not matter.
func (f *feed) ensureStreams(ctx context.Context) error {
	for _, cfg := range []jetstream.StreamConfig{events.CardsStreamConfig(f.ns), events.OrdersStreamConfig(f.ns)} {
		_, err := f.js.CreateStream(ctx, cfg)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("interaction: stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// onPaid calls fn with the room and ticker of every paid order, once per
// event id.
func (f *feed) onPaid(fn func(room string, t protocol.Ticker)) (*nats.Subscription, error) {
	sub, err := f.nc.Subscribe(events.OrderSubject(f.ns, events.OrderPaid), func(msg *nats.Msg) {
		var ev events.OrderEvent
		if err := json.Unmarshal(msg.Data, &ev); err != nil || ev.Type != events.OrderPaid || !roomid.Valid(ev.Room) {
			return
		}
		if ev.ID != "" && f.seen(ev.ID) {
			return
		}
		fn(ev.Room, protocol.Ticker{ProductTitle: truncateRunes(ev.ProductTitle, 80), City: truncateRunes(ev.City, 40), Quantity: max(ev.Quantity, 1)})
	})
	if err != nil {
		return nil, fmt.Errorf("interaction: subscribe orders: %w", err)
	}
	return sub, nil
}

func (f *feed) seen(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.seenPaid {
		if s == id {
			return true
		}
	}
	if len(f.seenPaid) >= 256 {
		f.seenPaid = f.seenPaid[1:]
	}
	f.seenPaid = append(f.seenPaid, id)
	return false
}

// onCard calls fn with every card published for room.
func (f *feed) onCard(room string, fn func([]byte)) (*nats.Subscription, error) {
	sub, err := f.nc.Subscribe(events.CardSubject(f.ns, room), func(msg *nats.Msg) { fn(msg.Data) })
	if err != nil {
		return nil, fmt.Errorf("interaction: subscribe cards: %w", err)
	}
	sub.SetPendingLimits(65536, 64<<20)
	return sub, nil
}

// lastCard reads room's current card from the cards stream (nil if none).
func (f *feed) lastCard(ctx context.Context, room string) ([]byte, error) {
	st, err := f.js.Stream(ctx, events.CardsStream(f.ns))
	if err != nil {
		return nil, err
	}
	msg, err := st.GetLastMsgForSubject(ctx, events.CardSubject(f.ns, room))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return msg.Data, nil
}

// activity publishes a viewer's action for commerce's user tags
// (anonymous viewers and the operator have none).
func (f *feed) activity(who auth.Identity, room, kind, productID string, at time.Time) {
	if who.Anonymous || who.Admin || who.UserID == "" {
		return
	}
	b, _ := json.Marshal(events.Activity{UserID: who.UserID, Room: room, Kind: kind, ProductID: productID, At: at.UTC()})
	if err := f.nc.Publish(events.ActivitySubject(f.ns), b); err != nil {
		f.log.Warn("activity not published", "room", room, "err", err)
	}
}

func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
