package signaling

import (
	"strings"
	"time"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/signaling/room"
)

// createRoomRequest is the body of POST /api/rooms.
type createRoomRequest struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	Private       bool   `json:"private"`
	AnonymousChat *bool  `json:"anonymous_chat"`
	StartsAt      string `json:"starts_at"`
	CoverURL      string `json:"cover_url"`
}

// parseCreateRoom reads POST /api/rooms; anonymous_chat defaults to anonDefault.
func parseCreateRoom(body []byte, anonDefault bool) (room.NewRoom, error) {
	var req createRoomRequest
	if err := apierr.DecodeJSON(body, &req); err != nil {
		return room.NewRoom{}, err
	}
	if req.ID != "" && !roomid.Valid(req.ID) {
		return room.NewRoom{}, apierr.New(apierr.CodeInvalidRoomID)
	}
	if !room.ValidTitle(req.Title) {
		return room.NewRoom{}, apierr.E(apierr.CodeInvalidRequest, "title must be 1-%d printable characters", room.MaxTitleRunes)
	}
	n := room.NewRoom{ID: req.ID, Title: req.Title, Private: req.Private, AnonymousChat: anonDefault, CoverURL: req.CoverURL}
	if req.AnonymousChat != nil {
		n.AnonymousChat = *req.AnonymousChat
	}
	if !room.ValidCoverURL(req.CoverURL) {
		return room.NewRoom{}, errCoverURL()
	}
	if req.StartsAt != "" {
		t, err := parseStartsAt(req.StartsAt)
		if err != nil {
			return room.NewRoom{}, err
		}
		n.StartsAt = &t
	}
	return n, nil
}

// patchRoomRequest is the body of PATCH /api/rooms/{room}.
type patchRoomRequest struct {
	Title         *string `json:"title"`
	Private       *bool   `json:"private"`
	AnonymousChat *bool   `json:"anonymous_chat"`
	// StartsAt is RFC 3339; "" removes the schedule.
	StartsAt *string `json:"starts_at"`
	// CoverURL is https://…; "" removes the cover.
	CoverURL *string `json:"cover_url"`
	// SellAfterEnd keeps the goods buyable on the ended room's closing screen.
	SellAfterEnd *bool `json:"sell_after_end"`
	// NextRoom is the next show's room id; "" removes it.
	NextRoom *string `json:"next_room"`
	// Record turns the recording of the room's lives on or off.
	Record *bool `json:"record"`
}

// maxScheduleAhead bounds how far ahead a show may be scheduled.
const maxScheduleAhead = 366 * 24 * time.Hour

// parseStartsAt reads a starts_at value: RFC 3339, within a year from now.
func parseStartsAt(raw string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, apierr.E(apierr.CodeInvalidRoom, "starts_at must be an RFC 3339 time such as 2026-12-24T20:00:00+08:00")
	}
	if t.After(time.Now().Add(maxScheduleAhead)) || t.Year() < 2000 {
		return time.Time{}, apierr.E(apierr.CodeInvalidRoom, "starts_at must be within a year from now")
	}
	return t.UTC().Truncate(time.Millisecond), nil
}

func errCoverURL() error {
	return apierr.E(apierr.CodeInvalidRoom, "cover_url must be an https:// URL of at most %d bytes", room.MaxCoverURLLen)
}

// parsePatchRoom reads PATCH /api/rooms/{room}; at least one field is required.
func parsePatchRoom(body []byte) (room.Patch, error) {
	var req patchRoomRequest
	if err := apierr.DecodeJSON(body, &req); err != nil {
		return room.Patch{}, err
	}
	if req.Title == nil && req.Private == nil && req.AnonymousChat == nil && req.StartsAt == nil && req.CoverURL == nil &&
		req.SellAfterEnd == nil && req.NextRoom == nil && req.Record == nil {
		return room.Patch{}, apierr.E(apierr.CodeInvalidRequest,
			"nothing to change (title, private, anonymous_chat, starts_at, cover_url, sell_after_end, next_room, record)")
	}
	if req.NextRoom != nil && *req.NextRoom != "" && !roomid.Valid(*req.NextRoom) {
		return room.Patch{}, apierr.E(apierr.CodeInvalidRoom, "next_room: %s", roomid.Rule)
	}
	if req.Title != nil && !room.ValidTitle(*req.Title) {
		return room.Patch{}, apierr.E(apierr.CodeInvalidRequest, "title must be 1-%d printable characters", room.MaxTitleRunes)
	}
	p := room.Patch{Title: req.Title, Private: req.Private, AnonymousChat: req.AnonymousChat, CoverURL: req.CoverURL,
		SellAfterEnd: req.SellAfterEnd, NextRoom: req.NextRoom, Record: req.Record}
	if req.CoverURL != nil && !room.ValidCoverURL(*req.CoverURL) {
		return room.Patch{}, errCoverURL()
	}
	switch {
	case req.StartsAt == nil:
	case *req.StartsAt == "":
		p.ClearStartsAt = true
	default:
		t, err := parseStartsAt(*req.StartsAt)
		if err != nil {
			return room.Patch{}, err
		}
		p.StartsAt = &t
	}
	return p, nil
}

// viewerTokenRequest is the body of POST /api/rooms/{room}/viewer-tokens.
type viewerTokenRequest struct {
	UserID     string `json:"user_id"`
	Name       string `json:"name"`
	TTLSeconds int64  `json:"ttl_seconds"`
}

// maxViewerTokenTTL bounds the lifetime of a viewer token.
const maxViewerTokenTTL = 30 * 24 * time.Hour

// parseViewerToken reads POST /api/rooms/{room}/viewer-tokens; ttl 0 means def.
func parseViewerToken(body []byte, def time.Duration) (userID, name string, ttl time.Duration, err error) {
	var req viewerTokenRequest
	if err := apierr.DecodeJSON(body, &req); err != nil {
		return "", "", 0, err
	}
	if !validToken(req.UserID, 128) {
		return "", "", 0, apierr.E(apierr.CodeInvalidUserID, "user_id must be 1-128 visible characters")
	}
	name = strings.TrimSpace(req.Name)
	if len(name) > 128 || !validText(name) {
		return "", "", 0, apierr.E(apierr.CodeInvalidRequest, "name must be at most 128 printable bytes")
	}
	switch {
	case req.TTLSeconds < 0 || req.TTLSeconds > int64(maxViewerTokenTTL/time.Second):
		return "", "", 0, apierr.E(apierr.CodeInvalidRequest, "ttl_seconds must be 0..%d", int64(maxViewerTokenTTL/time.Second))
	case req.TTLSeconds == 0:
		ttl = def
	default:
		ttl = time.Duration(req.TTLSeconds) * time.Second
	}
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	return req.UserID, name, ttl, nil
}

// layerRequest is the body of PATCH /whep/{room}/{session}/layer.
type layerRequest struct {
	Layer string `json:"layer"`
}

// parseLayerRequest reads the layer switch body.
func parseLayerRequest(body []byte) (string, error) {
	var req layerRequest
	if err := apierr.DecodeJSON(body, &req); err != nil {
		return "", err
	}
	l, ok := normalizeLayer(req.Layer)
	if !ok {
		return "", apierr.New(apierr.CodeInvalidLayer)
	}
	return l, nil
}

// normalizeLayer maps a layer preference to what the engine takes: "auto"
// and "" mean automatic (""); names are short tokens (rids or q/h/f,
// low/mid/high) that the engine resolves.
func normalizeLayer(l string) (string, bool) {
	switch l {
	case "", "auto":
		return "", true
	}
	if len(l) > 16 {
		return "", false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", false
		}
	}
	return l, true
}

// validText reports whether s is valid UTF-8 without control characters.
func validText(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}
