package signaling

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/auth"
)

// redirectQuery is the query of a 307 to another node for path: the
// request's own, and, for a viewer who presented a credential, a short
// playback grant for path. A browser drops the Authorization header when it
// follows a redirect to another origin, so without the grant a signed-in
// viewer of a private or ticketed room would arrive there anonymous; the
// grant names that viewer and this room only, for a minute, and the viewer's
// own token never enters a URL.
func redirectQuery(c *fiber.Ctx, a *auth.Authenticator, path string) string {
	q := string(c.Request().URI().QueryString())
	p, ok := auth.PrincipalOf(c)
	if !ok || p.Kind == auth.KindAnonymous || a == nil {
		return q
	}
	vals, err := url.ParseQuery(q)
	if err != nil {
		return q
	}
	room := c.Params("room")
	g, _ := a.MintGrant(p, room, path, time.Now(), auth.RedirectGrantTTL)
	vals.Set("grant", g)
	return vals.Encode()
}
