package review

import (
	"context"
	"time"

	"github.com/livesell/livesell/internal/events"
)

// Message is one danmaku of a show, for chat replay: shown OffsetMS after
// the show's start, under the name and pseudonym viewers saw.
type Message struct {
	ID       string    `json:"id"`
	Name     string    `json:"name,omitempty"`
	Viewer   string    `json:"viewer"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
	OffsetMS int64     `json:"offset_ms"`
}

// Chat is the show's danmaku in order, without those a moderator deleted
// (during the show or since). now ends a running show.
func (s *Store) Chat(ctx context.Context, sh Show, now time.Time) ([]Message, error) {
	end := sh.EndedAt
	if !sh.Ended() {
		end = now
	}
	evs, err := s.audience(ctx, `room = $1 AND replay = 0 AND ((kind = $2 AND at >= $3 AND at <= $4) OR (kind = $5 AND at >= $3))`,
		sh.Room, events.AudienceDanmaku, ms(sh.StartedAt), ms(end), events.AudienceDanmakuDeleted)
	if err != nil {
		return nil, err
	}
	deleted := map[string]bool{}
	for _, ev := range evs {
		if ev.Kind == events.AudienceDanmakuDeleted {
			deleted[ev.MessageID] = true
		}
	}
	var out []Message
	for _, ev := range evs {
		if ev.Kind != events.AudienceDanmaku || deleted[ev.MessageID] || ev.Text == "" { // "": forgotten (ForgetChat)
			continue
		}
		out = append(out, Message{ID: ev.MessageID, Name: ev.Name, Viewer: ev.Viewer, Text: ev.Text, At: ev.At, OffsetMS: ev.At.Sub(sh.StartedAt).Milliseconds()})
	}
	return out, nil
}
