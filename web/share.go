package web

import (
	"bytes"
	"html/template"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/roomid"
)

// shareTags are the Open Graph and Twitter tags of a /live/{room} page, so
// that a link shared in a chat shows the room's title and whether it is
// live.
var shareTags = template.Must(template.New("og").Parse(`<meta property="og:type" content="video.other">
<meta property="og:site_name" content="livesell">
<meta property="og:title" content="{{.Title}}">
<meta property="og:description" content="{{.Description}}">
<meta property="og:url" content="{{.URL}}">
<meta property="og:image" content="{{.Image}}">
<meta name="twitter:card" content="summary">
<meta name="description" content="{{.Description}}">
`))

type shareView struct {
	Title, Description, URL, Image string
}

// describe is the share text of a room's state.
func describe(state string) string {
	switch state {
	case "live":
		return "Live now — watch and shop."
	case "paused":
		return "Live now (back in a moment) — watch and shop."
	case "ended":
		return "This live has ended."
	default:
		return "Coming up live — watch and shop."
	}
}

// livePage is GET /live/{room}: the viewer room with share tags for the room.
func (h *handler) livePage(c *fiber.Ctx) error {
	id := c.Params("room")
	if !roomid.Valid(id) {
		return apierr.E(apierr.CodeNotFound, "no such room page: %s", roomid.Rule)
	}
	a, ok := h.assets["live.html"]
	if !ok {
		return apierr.E(apierr.CodeNotFound, "no such file")
	}
	v := shareView{Title: "Live room", Description: describe(""), URL: c.BaseURL() + "/live/" + id, Image: c.BaseURL() + "/assets/img/share.svg"}
	if h.room != nil {
		if info, found := h.room(c.UserContext(), id); found {
			if info.Title != "" {
				v.Title = info.Title
			}
			v.Description = describe(info.State)
		}
	}
	var tags bytes.Buffer
	if err := shareTags.Execute(&tags, v); err != nil {
		return apierr.Internal(err)
	}
	body := bytes.Replace(a.body, []byte("<!-- share tags -->\n"), tags.Bytes(), 1)
	if h.signIn != "" {
		body = bytes.Replace(body, []byte(`<body class="page-live">`), []byte(`<body class="page-live" data-signin-url="`+template.HTMLEscapeString(h.signIn)+`">`), 1)
	}
	c.Set("Content-Security-Policy", cspFramable)
	c.Set("Permissions-Policy", "camera=(self), microphone=(self), autoplay=(self)")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderContentType, a.contentType)
	return c.Send(body)
}
