package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/internal/events"
)

// Notices publishes room notices (events.Notice on events.NoticeSubject),
// which the interaction layer relays to every member of the room.
type Notices struct {
	nc *nats.Conn
	ns string
}

// NewNotices returns a publisher on nc under namespace ns.
func NewNotices(nc *nats.Conn, ns string) *Notices { return &Notices{nc: nc, ns: ns} }

// Publish sends a notice of kind with data (marshalled to JSON) to room;
// reliable notices are kept for joining members until until (nil: not kept).
func (n *Notices) Publish(ctx context.Context, room, kind string, data any, reliable bool, until *time.Time) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("guard: notice: %w", err)
	}
	body, err := json.Marshal(events.Notice{ID: ids.New("ntc_"), Room: room, Kind: kind, Data: raw, Reliable: reliable, Until: until, At: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("guard: notice: %w", err)
	}
	if err := n.nc.Publish(events.NoticeSubject(n.ns, room), body); err != nil {
		return fmt.Errorf("guard: notice: %w", err)
	}
	return nil
}
