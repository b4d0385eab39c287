package review

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/livesell/livesell/internal/events"
)

// input is everything a show's report is computed from.
type input struct {
	show Show
	// end is the show's end, or now while it runs.
	end time.Time
	// live are the audience events of the live, replay those of its replay
	// (after the end, until the room's next show).
	live, replay []events.AudienceEvent
	// known are the viewers (user id, else pseudonym) who joined an
	// earlier show of the room: returning viewers.
	known map[string]bool
	cards []events.ProductCard
	// orders are the order events of the room from the show's start until
	// the next show (those created after the end came from the replay).
	orders []events.OrderEvent
}

// load reads the events of sh; now ends a running show.
func (s *Store) load(ctx context.Context, sh Show, now time.Time) (*input, error) {
	in := &input{show: sh, end: sh.EndedAt, known: map[string]bool{}}
	if !sh.Ended() {
		in.end = now.UTC()
	}
	next, err := s.next(ctx, sh)
	if err != nil {
		return nil, err
	}
	upTo := int64(math.MaxInt64)
	if !next.IsZero() {
		upTo = ms(next)
	}
	all, err := s.audience(ctx, `room = $1 AND at >= $2 AND at < $3`, sh.Room, ms(sh.StartedAt), upTo)
	if err != nil {
		return nil, err
	}
	for _, ev := range all {
		switch {
		case ev.Replay:
			in.replay = append(in.replay, ev)
		case !ev.At.After(in.end):
			in.live = append(in.live, ev)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT user_id, viewer FROM review_audience WHERE room = $1 AND kind = 'joined' AND replay = 0 AND at < $2`, sh.Room, ms(sh.StartedAt))
	if err != nil {
		return nil, fmt.Errorf("review: earlier viewers: %w", err)
	}
	for rows.Next() {
		var u, v string
		if err := rows.Scan(&u, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("review: earlier viewers: %w", err)
		}
		in.known[viewerKey(u, v)] = true
	}
	rows.Close()
	if in.cards, err = s.cards(ctx, sh.Room, sh.StartedAt, in.end); err != nil {
		return nil, err
	}
	orows, err := s.db.QueryContext(ctx, `SELECT event_id, type, order_id, product_id, user_id, quantity, amount_minor, currency, at FROM review_orders
		WHERE room = $1 AND at >= $2 AND at < $3 ORDER BY at, event_id`, sh.Room, ms(sh.StartedAt), upTo)
	if err != nil {
		return nil, fmt.Errorf("review: orders: %w", err)
	}
	defer orows.Close()
	for orows.Next() {
		ev := events.OrderEvent{Room: sh.Room}
		var at int64
		if err := orows.Scan(&ev.ID, &ev.Type, &ev.OrderID, &ev.ProductID, &ev.UserID, &ev.Quantity, &ev.AmountMinor, &ev.Currency, &at); err != nil {
			return nil, fmt.Errorf("review: orders: %w", err)
		}
		ev.At = fromMS(at)
		in.orders = append(in.orders, ev)
	}
	return in, orows.Err()
}

// viewerKey identifies a viewer across shows: the user id when signed in,
// else the per-room pseudonym.
func viewerKey(user, viewer string) string {
	if user != "" {
		return "u:" + user
	}
	return "v:" + viewer
}

func (s *Store) audience(ctx context.Context, where string, args ...any) ([]events.AudienceEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT room, kind, viewer, user_id, product_id, n, body, name, message_id, referrer, replay, at
		FROM review_audience WHERE `+where+` ORDER BY at`, args...)
	if err != nil {
		return nil, fmt.Errorf("review: audience: %w", err)
	}
	defer rows.Close()
	var out []events.AudienceEvent
	for rows.Next() {
		var ev events.AudienceEvent
		var replay int
		var at int64
		if err := rows.Scan(&ev.Room, &ev.Kind, &ev.Viewer, &ev.UserID, &ev.ProductID, &ev.Count, &ev.Text, &ev.Name, &ev.MessageID, &ev.Referrer, &replay, &at); err != nil {
			return nil, fmt.Errorf("review: audience: %w", err)
		}
		ev.Replay, ev.At = replay == 1, fromMS(at)
		out = append(out, ev)
	}
	return out, rows.Err()
}

// cards are room's product cards shown or hidden in [from, to].
func (s *Store) cards(ctx context.Context, room string, from, to time.Time) ([]events.ProductCard, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT product_id, shown, title, image, price_minor, live_price_minor, currency, version, at
		FROM review_cards WHERE room = $1 AND at >= $2 AND at <= $3 ORDER BY at, version`, room, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("review: cards: %w", err)
	}
	defer rows.Close()
	var out []events.ProductCard
	for rows.Next() {
		c := events.ProductCard{Room: room}
		var shown int
		var at int64
		if err := rows.Scan(&c.ProductID, &shown, &c.Title, &c.Image, &c.PriceMinor, &c.LivePriceMinor, &c.Currency, &c.Version, &at); err != nil {
			return nil, fmt.Errorf("review: cards: %w", err)
		}
		c.Shown, c.At = shown == 1, fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
