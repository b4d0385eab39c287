package server_test

import (
	"net/http"
	"testing"
)

// TestPrivateRoomIsNotPublic is #11.16 across the composed node: what a
// private room is — its title and state, its online count, the product it
// presents, its WHEP endpoint — is told only to a credential that admits
// it (a viewer token minted for the room, one of its push keys, the
// admin), on every capability that serves /api/rooms/{room}/….
func TestPrivateRoomIsNotPublic(t *testing.T) {
	s := newServer(t)
	admin := s.AdminToken()
	_, _, raw := send(t, s, http.MethodPost, "/api/rooms", admin, `{"id":"vip","title":"VIP only","private":true}`)
	pushKey := jsonString(t, raw, "push_key")
	_, _, raw = send(t, s, http.MethodPost, "/api/rooms/vip/viewer-tokens", admin, `{"user_id":"u1"}`)
	scoped := jsonString(t, raw, "token")
	_, _, raw = send(t, s, http.MethodPost, "/api/tokens", admin, `{"user_id":"u2"}`)
	unscoped := jsonString(t, raw, "token")

	for _, path := range []string{"/api/rooms/vip", "/api/rooms/vip/online", "/api/rooms/vip/presenting", "/whep/vip"} {
		for _, tt := range []struct {
			name     string
			bearer   string
			admitted bool
		}{
			{"anonymous", "", false},
			{"unscoped user token", unscoped, false},
			{"viewer token of the room", scoped, true},
			{"push key of the room", pushKey, true},
			{"admin", admin, true},
		} {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				status, _, body := call(t, s, http.MethodGet, path, tt.bearer)
				refused := status == http.StatusUnauthorized || status == http.StatusForbidden
				if tt.admitted == refused || status >= 500 {
					t.Fatalf("GET %s as %s = %d %s; admitted %v", path, tt.name, status, body, tt.admitted)
				}
			})
		}
	}
}
