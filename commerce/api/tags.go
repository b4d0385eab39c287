package api

import (
	"encoding/csv"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/tags"
	"github.com/livesell/livesell/internal/apierr"
)

func (h *tagHandler) userTags(c *fiber.Ctx) error {
	user := c.Params("id")
	if user == "" || len(user) > 128 {
		return apierr.New(apierr.CodeInvalidUserID)
	}
	ts, err := h.d.Tags.Of(c.UserContext(), user)
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(fiber.Map{"user_id": user, "tags": ts})
}

// exportSegment streams the users carrying a tag as CSV.
func (h *tagHandler) exportSegment(c *fiber.Ctx) error {
	tag, room := c.Query("tag"), c.Query("room")
	if !tags.Valid(tag) {
		return apierr.E(apierr.CodeInvalidRequest, "tag must be one of watched, clicked, want, ordered, paid")
	}
	if room != "" && !validRoom(room) {
		return apierr.New(apierr.CodeInvalidRoomID)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="segment-`+tag+`.csv"`)
	w := csv.NewWriter(c)
	w.Write([]string{"user_id", "tag", "room", "hits", "last_at"})
	err := h.d.Tags.Segment(c.UserContext(), tag, room, func(m tags.Member) error {
		return w.Write([]string{csvSafe(m.UserID), tag, room, strconv.FormatInt(m.Hits, 10), m.LastAt.Format(time.RFC3339)})
	})
	if err != nil {
		return mapErr(err)
	}
	w.Flush()
	return w.Error()
}

// csvSafe defuses spreadsheet formulas in values that came from outside.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
