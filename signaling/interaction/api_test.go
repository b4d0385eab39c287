package interaction

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/livesell/livesell/internal/testenv"
)

// Every bad input to the HTTP API is a 4xx with the one error shape.
func TestHTTPBadInput(t *testing.T) {
	b := testenv.Backends(t, testenv.Embedded)
	h := newHub(t, b, testenv.Namespace(t), newFakeRooms("r1"), nil)
	base := serveHub(t, h)
	long := strings.Repeat("x", 300)
	tests := []struct {
		method, path, token, body string
		status                    int
		code                      string
	}{
		{"PUT", "/api/moderation/words", testAdminToken, ``, 400, "invalid_json"},
		{"PUT", "/api/moderation/words", testAdminToken, `{"words":"x"}`, 400, "invalid_json"},
		{"PUT", "/api/moderation/words", testAdminToken, `{"words":[1,2]}`, 400, "invalid_json"},
		{"PUT", "/api/moderation/words", testAdminToken, `{}`, 400, "invalid_json"},
		{"PUT", "/api/moderation/words", testAdminToken, `{"words":["` + long + `"]}`, 400, "invalid_request"},
		{"PUT", "/api/moderation/words", "", `{"words":[]}`, 401, "missing_token"},
		{"GET", "/api/moderation/words", "nope", ``, 401, "invalid_token"},
		{"POST", "/api/rooms/r1/mutes", testAdminToken, `{"user_id":""}`, 400, "invalid_user_id"},
		{"POST", "/api/rooms/r1/mutes", testAdminToken, `{"user_id":"` + long + `"}`, 400, "invalid_user_id"},
		{"POST", "/api/rooms/r1/mutes", testAdminToken, `{"user_id":"u","seconds":99999999}`, 400, "invalid_request"},
		{"POST", "/api/rooms/r1/bans", testAdminToken, `not json`, 400, "invalid_json"},
		{"POST", "/api/rooms/r1/bans", "", `{"user_id":"u"}`, 401, "missing_token"},
		{"POST", "/api/rooms/r1/bans", pushKey("other"), `{"user_id":"u"}`, 401, "invalid_push_key"},
		{"POST", "/api/rooms/nope/bans", testAdminToken, `{"user_id":"u"}`, 404, "room_not_found"},
		{"POST", "/api/rooms/bad.room/bans", testAdminToken, `{"user_id":"u"}`, 400, "invalid_room_id"},
		{"DELETE", "/api/rooms/r1/danmaku/bad%20id", testAdminToken, ``, 400, "invalid_request"},
		{"PUT", "/api/rooms/r1/pinned", testAdminToken, `{"text":"` + strings.Repeat("长", 201) + `"}`, 400, "too_long"},
		{"PUT", "/api/rooms/r1/pinned", testAdminToken, `[]`, 400, "invalid_json"},
		{"GET", "/api/rooms/nope/online", "", ``, 404, "room_not_found"},
		{"GET", "/api/rooms/r1/timeline", pushKey("r1x"), ``, 401, "invalid_push_key"},
		{"GET", "/api/moderation/words", pushKey("r1"), ``, 403, "admin_only"},
		{"PUT", "/api/rooms/r1/pinned", userToken(t, "u1"), `{"text":"x"}`, 401, "invalid_push_key"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.body[:min(len(tt.body), 20)], func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, bytes.NewReader([]byte(tt.body)))
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var doc struct {
				Error struct{ Code, Message string }
			}
			json.NewDecoder(resp.Body).Decode(&doc)
			if resp.StatusCode != tt.status || doc.Error.Code != tt.code || doc.Error.Message == "" {
				t.Fatalf("= %d %+v, want %d %s", resp.StatusCode, doc.Error, tt.status, tt.code)
			}
		})
	}
}
