package room_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/room"
)

func newStore(t *testing.T, b *backend.Backends) *room.Store {
	t.Helper()
	s, err := room.NewStore(context.Background(), b.SQL)
	if err != nil {
		t.Fatalf("NewStore: %v", err)
	}
	// Applying the migrations again is a no-op.
	if _, err := room.NewStore(context.Background(), b.SQL); err != nil {
		t.Fatalf("NewStore again: %v", err)
	}
	return s
}

func TestStoreRooms(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, _ string) {
		ctx := context.Background()
		s := newStore(t, b)

		r, err := s.Create(ctx, room.NewRoom{Title: "  Spring sale  ", AnonymousChat: true})
		if err != nil {
			t.Fatal(err)
		}
		if !roomid.Valid(r.ID) || r.Title != "Spring sale" || r.State != room.StateIdle || !r.AnonymousChat || r.Private || r.CreatedAt.IsZero() {
			t.Fatalf("created %+v", r)
		}
		got, err := s.Get(ctx, r.ID)
		if err != nil || got != r {
			t.Fatalf("Get = %+v, %v; want %+v", got, err, r)
		}
		priv, err := s.Create(ctx, room.NewRoom{ID: "vip-1", Title: "VIP", Private: true})
		if err != nil || priv.ID != "vip-1" || !priv.Private {
			t.Fatalf("create vip: %+v %v", priv, err)
		}

		for _, tt := range []struct {
			name string
			n    room.NewRoom
			want error
		}{
			{"duplicate id", room.NewRoom{ID: "vip-1", Title: "x"}, room.ErrExists},
			{"bad id", room.NewRoom{ID: "a/b", Title: "x"}, room.ErrInvalid},
			{"long id", room.NewRoom{ID: strings.Repeat("a", 65), Title: "x"}, room.ErrInvalid},
			{"empty title", room.NewRoom{Title: "   "}, room.ErrInvalid},
			{"long title", room.NewRoom{Title: strings.Repeat("é", 201)}, room.ErrInvalid},
			{"control char", room.NewRoom{Title: "a\x00b"}, room.ErrInvalid},
		} {
			if _, err := s.Create(ctx, tt.n); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		if _, err := s.Get(ctx, "nope"); !errors.Is(err, room.ErrNotFound) {
			t.Fatalf("Get unknown: %v", err)
		}
		if _, err := s.Get(ctx, "../x"); !errors.Is(err, room.ErrNotFound) {
			t.Fatalf("Get invalid: %v", err)
		}

		all, err := s.List(ctx, room.ListOptions{})
		if err != nil || len(all) != 2 {
			t.Fatalf("List = %v, %v", all, err)
		}
		pub, err := s.List(ctx, room.ListOptions{PublicOnly: true})
		if err != nil || len(pub) != 1 || pub[0].ID != r.ID {
			t.Fatalf("List public = %v, %v", pub, err)
		}
		page, err := s.List(ctx, room.ListOptions{Limit: 1, Offset: 1})
		if err != nil || len(page) != 1 {
			t.Fatalf("List page = %v, %v", page, err)
		}

		title, yes := "Summer sale", true
		up, err := s.Update(ctx, r.ID, room.Patch{Title: &title, Private: &yes})
		if err != nil || up.Title != title || !up.Private || !up.AnonymousChat {
			t.Fatalf("Update = %+v, %v", up, err)
		}
		bad := ""
		if _, err := s.Update(ctx, r.ID, room.Patch{Title: &bad}); !errors.Is(err, room.ErrInvalid) {
			t.Fatalf("Update bad title: %v", err)
		}
		if _, err := s.Update(ctx, "nope", room.Patch{Private: &yes}); !errors.Is(err, room.ErrNotFound) {
			t.Fatalf("Update unknown: %v", err)
		}

		if st, err := s.SetState(ctx, r.ID, room.StateLive); err != nil || st.State != room.StateLive {
			t.Fatalf("SetState = %+v, %v", st, err)
		}
		if ok, err := s.Transition(ctx, r.ID, room.StatePaused, room.StateIdle); err != nil || ok {
			t.Fatalf("Transition from wrong state = %v, %v", ok, err)
		}
		if ok, err := s.Transition(ctx, r.ID, room.StatePaused, room.StateLive); err != nil || !ok {
			t.Fatalf("Transition live→paused = %v, %v", ok, err)
		}
		if got, _ := s.Get(ctx, r.ID); got.State != room.StatePaused {
			t.Fatalf("state = %s, want paused", got.State)
		}
		if ok, err := s.Transition(ctx, r.ID, room.StateLive, room.StateIdle, room.StatePaused); err != nil || !ok {
			t.Fatalf("Transition paused→live from two states = %v, %v", ok, err)
		}
		if _, err := s.SetState(ctx, r.ID, room.StateEnded); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Transition(ctx, r.ID, room.StateLive, room.StateIdle, room.StatePaused); err != nil || ok {
			t.Fatalf("Transition left ended = %v, %v", ok, err)
		}
		if _, err := s.SetState(ctx, r.ID, room.StatePaused); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetState(ctx, r.ID, "bogus"); !errors.Is(err, room.ErrInvalid) {
			t.Fatalf("SetState bogus: %v", err)
		}
		if _, err := s.SetState(ctx, "nope", room.StateLive); !errors.Is(err, room.ErrNotFound) {
			t.Fatalf("SetState unknown: %v", err)
		}
	})
}

func TestStorePushKeys(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, _ string) {
		ctx := context.Background()
		s := newStore(t, b)
		r, err := s.Create(ctx, room.NewRoom{Title: "keys"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.Create(ctx, room.NewRoom{Title: "other"})
		if err != nil {
			t.Fatal(err)
		}

		k1, plain1, err := s.IssueKey(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(plain1, room.KeyPrefix) || len(plain1) < len(room.KeyPrefix)+32 || k1.RoomID != r.ID || k1.RevokedAt != nil {
			t.Fatalf("issued %+v %q", k1, plain1)
		}
		// Only the hash is stored.
		var n int
		if err := b.SQL.QueryRowContext(ctx, `SELECT count(*) FROM room_push_keys WHERE hash = $1`, plain1).Scan(&n); err != nil || n != 0 {
			t.Fatalf("plaintext found in store: %d %v", n, err)
		}

		got, err := s.VerifyPushKey(ctx, r.ID, plain1)
		if err != nil || got.ID != k1.ID {
			t.Fatalf("Verify = %+v, %v", got, err)
		}
		for _, tt := range []struct {
			name, room, key string
			want            error
		}{
			{"empty", r.ID, "", room.ErrBadKey},
			{"unknown", r.ID, room.KeyPrefix + "00", room.ErrBadKey},
			{"no prefix", r.ID, plain1[len(room.KeyPrefix):], room.ErrBadKey},
			{"other room", other.ID, plain1, room.ErrBadKey},
			{"too long", r.ID, room.KeyPrefix + strings.Repeat("a", 300), room.ErrBadKey},
		} {
			if _, err := s.VerifyPushKey(ctx, tt.room, tt.key); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}

		k2, plain2, err := s.RotateKey(ctx, r.ID, k1.ID)
		if err != nil || k2.ID == k1.ID || plain2 == plain1 {
			t.Fatalf("Rotate = %+v %q %v", k2, plain2, err)
		}
		if _, err := s.VerifyPushKey(ctx, r.ID, plain1); !errors.Is(err, room.ErrKeyRevoked) {
			t.Fatalf("old key after rotate: %v", err)
		}
		if _, err := s.VerifyPushKey(ctx, r.ID, plain2); err != nil {
			t.Fatalf("new key: %v", err)
		}
		rev, err := s.Revoked(ctx, []string{k1.ID, k2.ID, "kmissing"})
		if err != nil || len(rev) != 2 || rev[0] != k1.ID || rev[1] != "kmissing" {
			t.Fatalf("Revoked = %v, %v", rev, err)
		}

		revoked, err := s.RevokeKey(ctx, r.ID, k2.ID)
		if err != nil || revoked.RevokedAt == nil {
			t.Fatalf("Revoke = %+v, %v", revoked, err)
		}
		again, err := s.RevokeKey(ctx, r.ID, k2.ID)
		if err != nil || !again.RevokedAt.Equal(*revoked.RevokedAt) {
			t.Fatalf("Revoke again = %+v, %v", again, err)
		}
		if _, err := s.VerifyPushKey(ctx, r.ID, plain2); !errors.Is(err, room.ErrKeyRevoked) {
			t.Fatalf("revoked key: %v", err)
		}
		if _, err := s.RevokeKey(ctx, other.ID, k2.ID); !errors.Is(err, room.ErrNotFound) {
			t.Fatalf("revoke key of another room: %v", err)
		}
		if _, _, err := s.RotateKey(ctx, r.ID, "knope"); !errors.Is(err, room.ErrNotFound) {
			t.Fatalf("rotate unknown: %v", err)
		}
		if _, _, err := s.IssueKey(ctx, "nope"); !errors.Is(err, room.ErrNotFound) {
			t.Fatalf("issue for unknown room: %v", err)
		}

		keys, err := s.ListKeys(ctx, r.ID)
		if err != nil || len(keys) != 2 || keys[0].ID != k1.ID || keys[1].ID != k2.ID {
			t.Fatalf("ListKeys = %+v, %v", keys, err)
		}
		if _, err := s.ListKeys(ctx, "nope"); !errors.Is(err, room.ErrNotFound) {
			t.Fatalf("ListKeys unknown: %v", err)
		}

		for i := 0; i < room.MaxActiveKeys; i++ {
			if _, _, err := s.IssueKey(ctx, other.ID); err != nil {
				t.Fatalf("issue %d: %v", i, err)
			}
		}
		if _, _, err := s.IssueKey(ctx, other.ID); !errors.Is(err, room.ErrTooManyKeys) {
			t.Fatalf("issue beyond the limit: %v", err)
		}
	})
}

func TestStoreEnded(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, _ string) {
		ctx := context.Background()
		s := newStore(t, b)
		if got, err := s.Ended(ctx, nil); err != nil || got != nil {
			t.Fatalf("Ended(nil) = %v, %v", got, err)
		}
		var ids []string
		for i := 0; i < 3; i++ {
			r, err := s.Create(ctx, room.NewRoom{Title: "r"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		if _, err := s.SetState(ctx, ids[1], room.StateLive); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetState(ctx, ids[2], room.StateEnded); err != nil {
			t.Fatal(err)
		}
		got, err := s.Ended(ctx, append(ids, "missing"))
		if err != nil || len(got) != 1 || got[0] != ids[2] {
			t.Fatalf("Ended = %v, %v; want [%s]", got, err, ids[2])
		}
	})
}
