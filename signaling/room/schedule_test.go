package room_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/room"
)

func TestStoreSchedule(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, _ string) {
		ctx := context.Background()
		s := newStore(t, b)
		start := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
		r, err := s.Create(ctx, room.NewRoom{Title: "Friday show", StartsAt: &start, CoverURL: "https://cdn.example/cover.jpg"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, r.ID)
		if err != nil || got.StartsAt == nil || !got.StartsAt.Equal(start) || got.CoverURL != "https://cdn.example/cover.jpg" {
			t.Fatalf("Get = %+v, %v; want starts_at %v and the cover", got, err, start)
		}
		if st := got.Shown(time.Now()); st != room.StateScheduled {
			t.Fatalf("Shown before the start = %q, want scheduled", st)
		}
		if st := got.Shown(start.Add(time.Second)); st != room.StateIdle {
			t.Fatalf("Shown after the start = %q, want idle", st)
		}
		// Live wins over the schedule.
		if ok, err := s.Transition(ctx, r.ID, room.StateLive, room.StateIdle); !ok || err != nil {
			t.Fatalf("go live: %v %v", ok, err)
		}
		if got, _ = s.Get(ctx, r.ID); got.Shown(time.Now()) != room.StateLive {
			t.Fatalf("live room shown as %q", got.Shown(time.Now()))
		}

		later := start.Add(24 * time.Hour)
		cover := ""
		up, err := s.Update(ctx, r.ID, room.Patch{StartsAt: &later, CoverURL: &cover})
		if err != nil || up.StartsAt == nil || !up.StartsAt.Equal(later) || up.CoverURL != "" {
			t.Fatalf("Update = %+v, %v", up, err)
		}
		up, err = s.Update(ctx, r.ID, room.Patch{ClearStartsAt: true})
		if err != nil || up.StartsAt != nil {
			t.Fatalf("clear starts_at = %+v, %v", up, err)
		}
		if got, _ = s.Get(ctx, r.ID); got.StartsAt != nil {
			t.Fatalf("stored starts_at after clear = %v", got.StartsAt)
		}

		for _, tt := range []struct {
			name  string
			cover string
		}{
			{"http", "http://cdn.example/c.jpg"},
			{"relative", "/media/c.jpg"},
			{"no host", "https:///c.jpg"},
			{"space", "https://cdn.example/a b.jpg"},
			{"userinfo", "https://u:p@cdn.example/c.jpg"},
			{"javascript", "javascript:alert(1)"},
			{"too long", "https://cdn.example/" + strings.Repeat("a", room.MaxCoverURLLen)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.Create(ctx, room.NewRoom{Title: "x", CoverURL: tt.cover}); !errors.Is(err, room.ErrInvalid) {
					t.Errorf("Create cover %q: %v, want ErrInvalid", tt.cover, err)
				}
				c := tt.cover
				if _, err := s.Update(ctx, r.ID, room.Patch{CoverURL: &c}); !errors.Is(err, room.ErrInvalid) {
					t.Errorf("Update cover %q: %v, want ErrInvalid", tt.cover, err)
				}
			})
		}
	})
}

func TestStoreAfterEnd(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, _ string) {
		ctx := context.Background()
		s := newStore(t, b)
		r, err := s.Create(ctx, room.NewRoom{Title: "Monday show", SellAfterEnd: true, NextRoom: "tuesday"})
		if err != nil || !r.SellAfterEnd || r.NextRoom != "tuesday" {
			t.Fatalf("Create = %+v, %v", r, err)
		}
		off, next := false, "wednesday_2"
		if up, err := s.Update(ctx, r.ID, room.Patch{SellAfterEnd: &off, NextRoom: &next}); err != nil || up.SellAfterEnd || up.NextRoom != next {
			t.Fatalf("Update = %+v, %v", up, err)
		}
		if got, err := s.Get(ctx, r.ID); err != nil || got.SellAfterEnd || got.NextRoom != next {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		on, none := true, ""
		if up, err := s.Update(ctx, r.ID, room.Patch{SellAfterEnd: &on, NextRoom: &none}); err != nil || !up.SellAfterEnd || up.NextRoom != "" {
			t.Fatalf("clear next = %+v, %v", up, err)
		}
		for _, bad := range []string{"a.b", "a b", strings.Repeat("x", 65)} {
			b := bad
			if _, err := s.Update(ctx, r.ID, room.Patch{NextRoom: &b}); !errors.Is(err, room.ErrInvalid) {
				t.Errorf("Update next_room %q: %v, want ErrInvalid", bad, err)
			}
			if _, err := s.Create(ctx, room.NewRoom{Title: "x", NextRoom: bad}); !errors.Is(err, room.ErrInvalid) {
				t.Errorf("Create next_room %q: %v, want ErrInvalid", bad, err)
			}
		}
	})
}
