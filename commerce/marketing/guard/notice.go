package guard

import (
	"context"
	"time"

	"github.com/livesell/livesell/commerce/marketing/notice"
	"github.com/livesell/livesell/internal/events"
)

// Notices publishes the tools' room notices through the room-notice relay
// (commerce/marketing/notice): events.Notice on events.NoticeSubject,
// shown by the interaction layer to every member of the room.
type Notices struct{ p *notice.Publisher }

// NewNotices returns the tools' publisher over p.
func NewNotices(p *notice.Publisher) *Notices { return &Notices{p: p} }

// Publish sends a notice of kind with data (as JSON) to room; reliable
// notices are kept for joining members until until (nil: not kept).
func (n *Notices) Publish(ctx context.Context, room, kind string, data any, reliable bool, until *time.Time) error {
	_, err := n.p.Publish(ctx, events.Notice{Room: room, Kind: kind, Data: notice.Data(data), Reliable: reliable, Until: until})
	return err
}
