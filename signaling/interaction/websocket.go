package interaction

import (
	"context"
	"errors"
	"net"
	"net/netip"
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
	wsHelloWait  = 10 * time.Second // for the first message (the hello)
	wsIdle       = 75 * time.Second // read deadline, renewed by any message or pong
	wsWriteWait  = 10 * time.Second
	wsPingPeriod = 25 * time.Second
)

// MaxWebSocketsPerIP bounds concurrent room WebSockets from one address
// (loopback, i.e. this host's reverse proxy, is exempt).
const MaxWebSocketsPerIP = 64

// Locals set by the pre-upgrade check.
const (
	localCount     = "interaction.count"
	localAddr      = "interaction.addr"
	localLimitAddr = "interaction.limit_addr"
	localReferrer  = "interaction.referrer"
)

// limitAddr is the client's address for per-address limits, "" for a
// loopback client (exempt: this host's own reverse proxy or load tool).
func limitAddr(c *fiber.Ctx) string {
	if auth.IsLoopback(c) {
		return ""
	}
	return auth.ClientAddr(c).String()
}

// wsServer is the WebSocket transport: a client opens /ws/rooms/{room}
// and sends its credential in its first message, a hello.
type wsServer struct {
	h     *Hub
	mu    sync.Mutex
	perIP map[string]int
}

func (s *wsServer) handler(origins []string) fiber.Handler {
	return fiberws.New(s.serve, fiberws.Config{
		Origins:          origins,
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
	})
}

// precheck refuses, with a JSON error before the upgrade, what can be
// refused early: not a WebSocket, a malformed or unknown room, too many
// connections, or a credential in the URL (query strings end up in proxy
// logs: credentials go in the hello).
func (s *wsServer) precheck(c *fiber.Ctx) error {
	if !fiberws.IsWebSocketUpgrade(c) {
		return apierr.New(apierr.CodeWebSocketRequired)
	}
	if c.Query("key") != "" || c.Query("token") != "" || c.Query("push_key") != "" {
		return apierr.E(apierr.CodeCredentialInQuery, `credentials go in the first WebSocket message, {"v":1,"type":"hello","token":"…"} or {"v":1,"type":"hello","push_key":"…"}, never in the URL`)
	}
	if err := checkRoom(c.UserContext(), s.h.opts.Rooms, param(c, "room")); err != nil {
		return err
	}
	if ip := limitAddr(c); ip != "" && s.count(ip, 0) >= MaxWebSocketsPerIP {
		return apierr.E(apierr.CodeTooManyConnections, "at most %d room connections per address", MaxWebSocketsPerIP)
	}
	c.Locals(localCount, c.Query("count") != "false")
	c.Locals(localAddr, auth.ClientAddr(c))
	c.Locals(localLimitAddr, limitAddr(c))
	c.Locals(localReferrer, CleanReferrer(c.Query("ref")))
	return c.Next()
}

// wsConn adapts a WebSocket to Channel. Writes come only from the member's
// writer; Ping and Close are safe alongside.
type wsConn struct {
	c    *websocket.Conn
	once sync.Once
}

// Send writes data within wsWriteWait (sooner if ctx has an earlier deadline).
func (w *wsConn) Send(ctx context.Context, data []byte) error {
	deadline := time.Now().Add(wsWriteWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	w.c.SetWriteDeadline(deadline)
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

// serve runs one WebSocket client: identify (the first hello), join, then
// read messages until the client leaves.
func (s *wsServer) serve(c *fiberws.Conn) {
	h := s.h
	roomID := c.Params("room")
	ws := c.Conn
	conn := &wsConn{c: ws}
	ws.SetReadLimit(2 * protocol.MaxMessageBytes) // over 4 KiB: too_long; over 8 KiB: closed
	ip, _ := c.Locals(localLimitAddr).(string)
	if ip != "" {
		s.count(ip, 1)
		defer s.count(ip, -1)
	}
	count, _ := c.Locals(localCount).(bool)
	addr, _ := c.Locals(localAddr).(netip.Addr)
	ref, _ := c.Locals(localReferrer).(string)
	refuse := func(code, msg string) {
		conn.Send(context.Background(), protocol.AppendError(nil, code, msg, ""))
		conn.Close()
	}
	ws.SetReadDeadline(time.Now().Add(wsHelloWait))
	_, data, err := ws.ReadMessage()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			refuse(protocol.CodeInvalidMessage, "send a hello message first")
		}
		conn.Close()
		return
	}
	var first []byte
	caller := auth.Principal{Identity: auth.Anonymous(), Kind: auth.KindAnonymous}
	msg, derr := protocol.Decode(data)
	if derr == nil && msg.Type == protocol.TypeHello {
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		caller, err = s.hello(ctx, roomID, addr, msg)
		cancel()
		if err != nil {
			e := apierr.From(err)
			refuse(string(e.Code), e.Message)
			return
		}
	} else {
		// No hello: an anonymous viewer whose first message is handled.
		first = data
	}
	anchor := caller.Kind == auth.KindPushKey
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	sess, err := h.Join(ctx, JoinRequest{Room: roomID, Who: caller.Identity, Anchor: anchor, IP: ip, Channel: conn, Count: count && !anchor, Referrer: ref})
	cancel()
	if err != nil {
		code, text := protocol.CodeOf(err), "cannot join the room"
		var pe *protocol.Error
		if errors.As(err, &pe) {
			text = pe.Message
		}
		refuse(code, text)
		return
	}
	defer func() {
		sess.Close()
		<-sess.Done()
	}()
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(wsIdle)) })
	if first != nil {
		sess.Handle(first)
	}
	for {
		ws.SetReadDeadline(time.Now().Add(wsIdle))
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		sess.Handle(data)
	}
}

// hello checks the credential of a hello: a push key, a user token or the
// admin token, or none (anonymous).
func (s *wsServer) hello(ctx context.Context, roomID string, addr netip.Addr, msg protocol.Inbound) (auth.Principal, error) {
	switch {
	case msg.PushKey != "":
		return s.h.opts.Credentials.Check(ctx, auth.Credential{Token: msg.PushKey, Room: roomID, Addr: addr}, auth.PushKey)
	case msg.Token != "":
		return s.h.opts.Credentials.Check(ctx, auth.Credential{Token: msg.Token, Room: roomID, Addr: addr}, auth.Admin|auth.User)
	}
	return auth.Principal{Identity: auth.Anonymous(), Kind: auth.KindAnonymous}, nil
}

// count adds delta to ip's open WebSockets and returns the count.
func (s *wsServer) count(ip string, delta int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.perIP[ip] + delta
	if n <= 0 {
		delete(s.perIP, ip)
		return 0
	}
	s.perIP[ip] = n
	return n
}
