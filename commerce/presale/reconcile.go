package presale

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/livesell/livesell/commerce/stock"
)

// suspectAge is how long a place must be seen without a ticket holding it
// before ReconcilePlaces releases it (covers a buy still writing its rows).
const suspectAge = time.Minute

// ReconcilePlaces releases places held in Redis that no ticket holds in
// SQL: a buyer that crashed between taking the place and writing the
// ticket, or a release after a refund that failed to reach Redis. A place
// is released only when seen so twice, suspectAge apart. It returns how
// many it released. Shows that started more than a week ago are left alone.
func (s *Maintenance) ReconcilePlaces(ctx context.Context, now time.Time) (int, error) {
	// Shows that ended more than a week ago sell nothing any more.
	rows, err := s.db.QueryContext(ctx, `SELECT room FROM presale_offers WHERE starts_at > $1`, now.Add(-7*24*time.Hour).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("presale: reconcile: %w", err)
	}
	var rooms []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return 0, fmt.Errorf("presale: reconcile: %w", err)
		}
		rooms = append(rooms, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("presale: reconcile: %w", err)
	}
	s.suspectsMu.Lock()
	defer s.suspectsMu.Unlock()
	if s.suspects == nil {
		s.suspects = map[string]time.Time{}
	}
	seen := map[string]bool{}
	released := 0
	for _, room := range rooms {
		off, err := s.store.Offer(ctx, room)
		if err != nil {
			return released, err
		}
		for _, t := range off.Tiers {
			key := tierKey(room, t.Name)
			var cursor uint64
			for {
				held, next, err := s.places.Held(ctx, key, cursor, 500)
				if err != nil {
					return released, err
				}
				orphans, err := s.unheld(ctx, held)
				if err != nil {
					return released, err
				}
				for _, id := range orphans {
					k := key + "\x00" + id
					seen[k] = true
					first, ok := s.suspects[k]
					if !ok {
						s.suspects[k] = now
						continue
					}
					if now.Sub(first) < suspectAge {
						continue
					}
					if res, err := s.places.Release(ctx, key, id); err == nil && res.Code == stock.Done {
						released++
						s.log.Warn("reconcile released a place no ticket holds", "room", room, "tier", t.Name, "order", id)
					}
					delete(s.suspects, k)
				}
				if cursor = next; cursor == 0 {
					break
				}
			}
		}
	}
	for k := range s.suspects {
		if !seen[k] {
			delete(s.suspects, k)
		}
	}
	return released, nil
}

// unheld returns the orders among ids whose ticket does not hold a place.
func (s *Maintenance) unheld(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var q strings.Builder
	q.WriteString(`SELECT order_id FROM presale_tickets WHERE status IN ($1, $2, $3) AND order_id IN (`)
	args := []any{StatusReserved, StatusDepositPaid, StatusPaid}
	for i, id := range ids {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("$" + strconv.Itoa(i+4))
		args = append(args, id)
	}
	q.WriteByte(')')
	rows, err := s.db.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("presale: reconcile: %w", err)
	}
	defer rows.Close()
	holds := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("presale: reconcile: %w", err)
		}
		holds[id] = true
	}
	var out []string
	for _, id := range ids {
		if !holds[id] {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}
