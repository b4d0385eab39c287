// Package web is livesell's browser front end, embedded in the binary: the
// anchor studio (/studio/{room}), the viewer room (/live/{room}), the
// operator dashboard (/dashboard), the embeddable player (/embed.js and the
// example host page /embed/example) and a small landing page (/).
//
// The pages are plain HTML, CSS and ES modules with no build step and no
// third-party origin: everything a page loads comes from this server. The
// pages call the HTTP and WebSocket APIs of the other capabilities (WHIP,
// WHEP, room events, commerce) like any other client would; this package
// only serves files and the small browser configuration document.
package web

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/gofiber/fiber/v2"
)

//go:embed static
var files embed.FS

// Options configures the pages.
type Options struct {
	// ICEServers are the STUN/TURN URLs handed to browsers for their peer
	// connections, in the server's configuration syntax
	// (stun:host:port, turn://user:pass@host:port).
	ICEServers []string
	// Room, when set, describes a room for the share tags (Open Graph) of
	// /live/{room}: ok is false for an unknown or private room, which gets
	// generic tags.
	Room func(ctx context.Context, id string) (RoomInfo, bool)
	// SignInURL is where /live sends a guest who wants to buy ("{return}"
	// becomes the room's address); empty shows no link.
	SignInURL string
}

// RoomInfo is what a shared link shows of a room.
type RoomInfo struct {
	Title string
	State string // idle, live, paused, ended
}

// Mount serves the pages and their assets on r.
func Mount(r fiber.Router, opts Options) error {
	static, err := fs.Sub(files, "static")
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	assets, err := loadAssets(static)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	ice, err := ParseICEServers(opts.ICEServers)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	h := &handler{assets: assets, config: browserConfig{ICEServers: ice}, room: opts.Room, signIn: opts.SignInURL}
	h.routes(r)
	return nil
}
