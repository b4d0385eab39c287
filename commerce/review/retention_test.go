package review

import (
	"context"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// TestChatRetention: danmaku older than the retention lose their text and
// name, and leave the chat replay, while the show's rows (its counts) stay;
// newer danmaku are kept whole.
func TestChatRetention(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		if err := Migrate(ctx, b.SQL); err != nil {
			t.Fatal(err)
		}
		st := NewStore(b.SQL)
		room := "keep-" + ns
		start := time.Date(2026, 1, 2, 20, 0, 0, 0, time.UTC)
		if _, err := st.state(ctx, room, "live", start); err != nil {
			t.Fatal(err)
		}
		old := events.AudienceEvent{Room: room, Kind: events.AudienceDanmaku, Viewer: "v1", Name: "Ann", MessageID: "m1", Text: "old words", At: start.Add(time.Minute)}
		fresh := events.AudienceEvent{Room: room, Kind: events.AudienceDanmaku, Viewer: "v2", Name: "Bo", MessageID: "m2", Text: "new words", At: start.Add(50 * time.Hour)}
		if err := st.addAudience(ctx, []events.AudienceEvent{old, fresh}); err != nil {
			t.Fatal(err)
		}
		n, err := st.ForgetChat(ctx, start.Add(24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("ForgetChat = %d, %v; want 1 row", n, err)
		}
		if n, err := st.ForgetChat(ctx, start.Add(24*time.Hour)); err != nil || n != 0 {
			t.Fatalf("ForgetChat again = %d, %v; want 0 (already forgotten)", n, err)
		}
		shows, err := st.Shows(ctx, room)
		if err != nil || len(shows) != 1 {
			t.Fatalf("shows = %v, %v", shows, err)
		}
		msgs, err := st.Chat(ctx, shows[0], start.Add(51*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].Text != "new words" || msgs[0].Name != "Bo" {
			t.Fatalf("chat after retention = %+v; want only the new danmaku, whole", msgs)
		}
		var rows int
		if err := b.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM review_audience WHERE room = $1 AND kind = $2`, room, events.AudienceDanmaku).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 2 {
			t.Fatalf("danmaku rows = %d; want 2 (counts stay for the report)", rows)
		}
	})
}
