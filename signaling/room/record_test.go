package room_test

import (
	"context"
	"testing"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/room"
)

// TestStoreRecord: a room is not recorded until its record setting is
// turned on (migration 004), and an update of other fields keeps it.
func TestStoreRecord(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, _ string) {
		ctx := context.Background()
		s := newStore(t, b)
		r, err := s.Create(ctx, room.NewRoom{Title: "Recorded show"})
		if err != nil || r.Record {
			t.Fatalf("Create = %+v, %v; want record off", r, err)
		}
		on := true
		if up, err := s.Update(ctx, r.ID, room.Patch{Record: &on}); err != nil || !up.Record {
			t.Fatalf("Update record = %+v, %v", up, err)
		}
		title := "Recorded show 2"
		if up, err := s.Update(ctx, r.ID, room.Patch{Title: &title}); err != nil || !up.Record {
			t.Fatalf("Update title = %+v, %v; want record kept", up, err)
		}
		if got, err := s.Get(ctx, r.ID); err != nil || !got.Record || got.Title != title {
			t.Fatalf("Get = %+v, %v", got, err)
		}
	})
}
