package web

import (
	"context"
	"encoding/json"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/roomid"
)

// browserConfig is GET /web/config.json: what pages need before they talk
// to the APIs.
type browserConfig struct {
	ICEServers []ICEServer `json:"ice_servers"`
}

type handler struct {
	assets assets
	config browserConfig
	room   func(ctx context.Context, id string) (RoomInfo, bool)
	signIn string
}

// Content-Security-Policy of the pages: nothing from another origin except
// product images, no inline script, no plugins.
const (
	cspBase = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; " +
		"media-src 'self' blob:; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
	// cspOwn is for pages that must never be framed (they hold admin or push keys).
	cspOwn = cspBase + "; frame-ancestors 'none'"
	// cspFramable is for viewer pages, which shops may put in an iframe.
	cspFramable = cspBase + "; frame-ancestors *"
)

func (h *handler) routes(r fiber.Router) {
	r.Get("/", h.page("index.html", cspOwn))
	r.Get("/studio/:room", h.roomPage("studio.html", cspOwn))
	r.Get("/live/:room", h.livePage)
	r.Get("/replay/:room", h.roomPage("replay.html", cspFramable))
	r.Get("/dashboard", h.page("dashboard.html", cspOwn))
	r.Get("/presale/:room", h.roomPage("presale.html", cspFramable))
	r.Get("/tickets", h.page("tickets.html", cspOwn))
	r.Get("/dashboard/report", h.page("report.html", cspOwn))
	r.Get("/embed/example", h.page("embed-example.html", cspOwn))
	r.Get("/embed.js", h.file("embed.js"))
	r.Get("/assets/*", h.assetFile)
	r.Get("/web/config.json", h.configDoc)
}

func (h *handler) page(name, csp string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("Content-Security-Policy", csp)
		c.Set("Permissions-Policy", "camera=(self), microphone=(self), autoplay=(self)")
		if strings.Contains(csp, "frame-ancestors 'none'") {
			c.Set(fiber.HeaderXFrameOptions, "DENY")
		}
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return h.send(c, name)
	}
}

func (h *handler) roomPage(name, csp string) fiber.Handler {
	page := h.page(name, csp)
	return func(c *fiber.Ctx) error {
		if !roomid.Valid(c.Params("room")) {
			return apierr.E(apierr.CodeNotFound, "no such room page: %s", roomid.Rule)
		}
		return page(c)
	}
}

func (h *handler) file(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		return h.send(c, name)
	}
}

func (h *handler) assetFile(c *fiber.Ctx) error {
	p := c.Params("*")
	clean := path.Clean("/" + p)[1:]
	if clean != p || p == "" {
		return apierr.E(apierr.CodeNotFound, "no such asset")
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return h.send(c, "assets/"+clean)
}

func (h *handler) configDoc(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	body, err := json.Marshal(h.config)
	if err != nil {
		return apierr.Internal(err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return c.Send(body)
}

// send writes an embedded file with its type and ETag, answering 304 to a
// matching If-None-Match.
func (h *handler) send(c *fiber.Ctx, name string) error {
	a, ok := h.assets[name]
	if !ok {
		return apierr.E(apierr.CodeNotFound, "no such file")
	}
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderETag, a.etag)
	if c.Get(fiber.HeaderIfNoneMatch) == a.etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	return c.Send(a.body)
}
