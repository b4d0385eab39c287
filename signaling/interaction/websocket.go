package interaction

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	fiberws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// WebSocket timings.
const (
	wsHelloWait  = 10 * time.Second // for the first message when the URL has no token
	wsIdle       = 75 * time.Second // read deadline, renewed by any message or pong
	wsWriteWait  = 10 * time.Second
	wsPingPeriod = 25 * time.Second
)

// MaxWebSocketsPerIP bounds concurrent room WebSockets from one address
// (loopback, i.e. this host's reverse proxy, is exempt).
const MaxWebSocketsPerIP = 64

// Locals set by the pre-upgrade check.
const (
	localWho    = "interaction.who"
	localAnchor = "interaction.anchor"
	localCount  = "interaction.count"
)

// wsPrecheck refuses, with a JSON error before the upgrade, what can be
// refused early: not a WebSocket, a malformed or unknown room, a bad token
// or push key.
func (h *Hub) wsPrecheck(c *fiber.Ctx) error {
	if !fiberws.IsWebSocketUpgrade(c) {
		return apierr.BadRequest("websocket_required", "GET /ws/rooms/{room} must be a WebSocket upgrade")
	}
	roomID := param(c, "room")
	if err := h.checkRoom(c.UserContext(), roomID); err != nil {
		return err
	}
	if ip := c.IP(); !isLoopback(ip) && h.wsCount(ip, 0) >= MaxWebSocketsPerIP {
		return apierr.TooManyRequests("too_many_connections", "at most %d room connections per address", MaxWebSocketsPerIP).WithRetryAfter(10 * time.Second)
	}
	c.Locals(localCount, c.Query("count") != "false")
	if key := c.Query("key"); key != "" {
		who, err := h.anchorIdentity(c.UserContext(), roomID, key)
		if err != nil {
			return err
		}
		c.Locals(localWho, who)
		c.Locals(localAnchor, true)
		return c.Next()
	}
	if tok := c.Query("token"); tok != "" {
		who, err := h.identify(c.UserContext(), tok)
		if err != nil {
			return apierr.Unauthorized(protocol.CodeBadToken, "the token is not valid").WithCause(err)
		}
		c.Locals(localWho, who)
	}
	return c.Next()
}

// checkRoom returns an *apierr.Error for a malformed or unknown room.
func (h *Hub) checkRoom(ctx context.Context, roomID string) error {
	if !protocol.ValidRoom(roomID) {
		return apierr.BadRequest("bad_room", "a room id is 1 to 64 characters of A-Z a-z 0-9 _ -")
	}
	if h.opts.Rooms == nil {
		return nil
	}
	if _, err := h.opts.Rooms.Get(ctx, roomID); err != nil {
		return apierr.NotFound("room_not_found", "no room %s", roomID).WithCause(err)
	}
	return nil
}

// identify verifies a user token or recognizes the admin token.
func (h *Hub) identify(ctx context.Context, tok string) (auth.Identity, error) {
	if auth.SecretEqual(tok, h.opts.AdminToken) {
		return auth.Identity{UserID: "admin", Admin: true}, nil
	}
	if h.opts.Users == nil {
		return auth.Identity{}, auth.ErrInvalidToken
	}
	return h.opts.Users.Verify(ctx, tok)
}

// anchorIdentity verifies room's push key.
func (h *Hub) anchorIdentity(ctx context.Context, roomID, key string) (auth.Identity, error) {
	if h.opts.PushKeys == nil {
		return auth.Identity{}, apierr.Forbidden("push_keys_unavailable", "push keys cannot be verified on this node")
	}
	if _, err := h.opts.PushKeys.VerifyPushKey(ctx, roomID, key); err != nil {
		return auth.Identity{}, apierr.Forbidden("bad_push_key", "the push key is not valid for this room").WithCause(err)
	}
	return auth.Identity{UserID: "anchor:" + roomID, Name: "anchor", Rooms: []string{roomID}}, nil
}

// wsConn adapts a WebSocket to Conn. Writes come only from the member's
// writer; Ping and Close are safe alongside.
type wsConn struct {
	c    *websocket.Conn
	once sync.Once
}

func (w *wsConn) Send(_ context.Context, data []byte) error {
	w.c.SetWriteDeadline(time.Now().Add(wsWriteWait))
	return w.c.WriteMessage(websocket.TextMessage, data)
}

func (w *wsConn) Ping() error {
	return w.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait))
}

func (w *wsConn) Close() {
	w.once.Do(func() {
		w.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		w.c.Close()
	})
}

// serveWS runs one WebSocket client: identify (URL token or first hello),
// join, then read messages until the client leaves.
func (h *Hub) serveWS(c *fiberws.Conn) {
	roomID := c.Params("room")
	ws := c.Conn
	conn := &wsConn{c: ws}
	ws.SetReadLimit(2 * protocol.MaxMessageBytes) // over 4 KiB: too_long; over 8 KiB: closed
	ip := c.IP()
	h.wsCount(ip, 1)
	defer h.wsCount(ip, -1)
	who, authed := c.Locals(localWho).(auth.Identity)
	anchor, _ := c.Locals(localAnchor).(bool)
	count, _ := c.Locals(localCount).(bool)
	refuse := func(code, msg string) {
		conn.Send(context.Background(), protocol.AppendError(nil, code, msg, ""))
		conn.Close()
	}
	var first []byte
	if !authed {
		ws.SetReadDeadline(time.Now().Add(wsHelloWait))
		_, data, err := ws.ReadMessage()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				refuse(protocol.CodeBadMessage, "send a hello message first")
			}
			conn.Close()
			return
		}
		msg, derr := protocol.Decode(data)
		switch {
		case derr == nil && msg.Type == protocol.TypeHello:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			switch {
			case msg.PushKey != "":
				who, err = h.anchorIdentity(ctx, roomID, msg.PushKey)
				anchor = err == nil
			case msg.Token != "":
				who, err = h.identify(ctx, msg.Token)
			default:
				who = auth.Anonymous()
			}
			cancel()
			if err != nil {
				refuse(protocol.CodeBadToken, "the token or push key is not valid")
				return
			}
		default:
			who = auth.Anonymous()
			first = data
		}
	}
	if anchor {
		count = false
	}
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	m, err := h.join(ctx, roomID, who, anchor, ip, conn, count)
	cancel()
	if err != nil {
		code, msg := protocol.CodeOf(err), "cannot join the room"
		var pe *protocol.Error
		if errors.As(err, &pe) {
			msg = pe.Message
		}
		refuse(code, msg)
		return
	}
	defer func() {
		m.close()
		<-m.writerDone
	}()
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(wsIdle)) })
	if first != nil {
		m.handle(first)
	}
	for {
		ws.SetReadDeadline(time.Now().Add(wsIdle))
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		m.handle(data)
	}
}

// wsCount adds delta to ip's open WebSockets and returns the count.
func (h *Hub) wsCount(ip string, delta int) int {
	h.wsMu.Lock()
	defer h.wsMu.Unlock()
	if h.wsPerIP == nil {
		h.wsPerIP = make(map[string]int)
	}
	n := h.wsPerIP[ip] + delta
	if n <= 0 {
		delete(h.wsPerIP, ip)
		return 0
	}
	h.wsPerIP[ip] = n
	return n
}
