package review

import (
	"context"
	"fmt"
	"time"

	"github.com/livesell/livesell/internal/events"
)

// ForgetChat deletes what viewers wrote before before: the text and
// display name of every danmaku kept for chat replay. The rows stay, so a
// show's report (danmaku per minute, interaction rate) still counts them.
func (s *Store) ForgetChat(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE review_audience SET body = '', name = ''
		WHERE kind = $1 AND at < $2 AND (body <> '' OR name <> '')`, events.AudienceDanmaku, ms(before))
	if err != nil {
		return 0, fmt.Errorf("review: forget chat: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("review: forget chat: %w", err)
	}
	return n, nil
}

// RunChatRetention forgets the chat older than keep, every every, until ctx
// ends (keep 0: chat is kept forever and nothing runs).
func (s *Service) RunChatRetention(ctx context.Context, keep, every time.Duration) {
	if keep <= 0 {
		return
	}
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.opts.Store.ForgetChat(ctx, s.opts.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("chat retention", "err", err)
		case n > 0:
			s.log.Info("chat retention", "forgotten", n, "keep", keep)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
