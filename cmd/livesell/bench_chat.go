package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/livesell/livesell/internal/procstat"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/sfu/synth"
)

func init() { benchCommands["chat"] = benchChat }

// Bounds of one chat load run.
const (
	chatMaxViewers  = 20000
	chatMaxRate     = 20000
	chatMaxDuration = 10 * time.Minute
	chatProbes      = 50 // viewers that decode every batch to measure latency
	// chatMaxDCViewers bounds data-channel viewers: each is a Pion peer
	// with its own ICE, DTLS and SCTP in this process.
	chatMaxDCViewers = 500
)

type chatBench struct {
	server, room, adminToken string
	transport                string
	pushKey                  string // dc: the anchor's key (from the room's creation or a new key)
	viewers, senders, probes int
	rate                     float64
	duration                 time.Duration
	serverPID                int
	out                      io.Writer
	http                     *http.Client

	sent, acked atomic.Int64
	errMu       sync.Mutex
	errs        map[string]int
}

// benchChat is "livesell bench chat": N WebSocket viewers in one room, K of
// them sending M danmaku per second in total; it reports delivery latency,
// messages and bytes per viewer per second, and server CPU.
func benchChat(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench chat", flag.ContinueOnError)
	fs.SetOutput(out)
	b := &chatBench{out: out, errs: map[string]int{}}
	fs.StringVar(&b.server, "server", "http://127.0.0.1:8080", "livesell base URL (loopback only)")
	fs.StringVar(&b.room, "room", "bench", "room id (created if absent and an admin token is given)")
	fs.IntVar(&b.viewers, "viewers", 1000, "viewers to attach (WebSocket)")
	fs.IntVar(&b.senders, "senders", 500, "viewers among them that send danmaku")
	fs.Float64Var(&b.rate, "rate", 500, "danmaku per second sent in total")
	fs.DurationVar(&b.duration, "duration", 20*time.Second, "how long to send")
	fs.StringVar(&b.transport, "transport", "ws", "viewer transport: ws (WebSocket) or dc (WHEP session + data channel, at most 500 viewers; publishes a synthetic anchor)")
	fs.StringVar(&b.adminToken, "admin-token", "", "admin token (to create the room and mint sender tokens)")
	tokenFile := fs.String("admin-token-file", "", "file holding the admin token (e.g. DATA_DIR/admin-token)")
	fs.IntVar(&b.serverPID, "server-pid", 0, "livesell's pid, to report its CPU from /proc/<pid>/stat")
	fs.IntVar(&b.probes, "probes", chatProbes, "viewers that decode batches to measure latency")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case b.transport != "ws" && b.transport != "dc":
		return fmt.Errorf("bench chat: --transport must be ws or dc, not %q", b.transport)
	case b.transport == "dc" && b.viewers > chatMaxDCViewers:
		return fmt.Errorf("bench chat: --transport dc attaches at most %d viewers (one Pion peer each)", chatMaxDCViewers)
	}
	switch {
	case b.viewers < 1 || b.viewers > chatMaxViewers:
		return fmt.Errorf("bench chat: --viewers must be 1..%d", chatMaxViewers)
	case b.senders < 0 || b.senders > b.viewers:
		return errors.New("bench chat: --senders must be 0..viewers")
	case b.rate < 0 || b.rate > chatMaxRate:
		return fmt.Errorf("bench chat: --rate must be 0..%d", chatMaxRate)
	case b.duration <= 0 || b.duration > chatMaxDuration:
		return fmt.Errorf("bench chat: --duration must be 0..%s", chatMaxDuration)
	}
	if b.probes > b.viewers {
		b.probes = b.viewers
	}
	if err := requireLoopback(b.server); err != nil {
		return err
	}
	if b.adminToken == "" && *tokenFile != "" {
		raw, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("bench chat: %w", err)
		}
		b.adminToken = strings.TrimSpace(string(raw))
	}
	b.http = &http.Client{Timeout: 10 * time.Second}
	return b.run(ctx)
}

// requireLoopback refuses any server that is not on this host.
func requireLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("bench: --server must be an http(s) URL")
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("bench: --server %s is not a loopback address (127.0.0.1, ::1, localhost)", host)
	}
	return nil
}

func (b *chatBench) api(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(b.server, "/")+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if b.adminToken != "" {
		req.Header.Set("Authorization", "Bearer "+b.adminToken)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, data, nil
}

// prepare creates the room if needed and mints one token per sender.
func (b *chatBench) prepare(ctx context.Context) ([]string, error) {
	tokens := make([]string, b.senders)
	if b.adminToken == "" {
		if b.transport == "dc" {
			return nil, errors.New("bench chat: --transport dc needs the admin token (it publishes a synthetic anchor)")
		}
		fmt.Fprintln(b.out, "no admin token: senders are anonymous (the room must allow anonymous chat)")
		return tokens, nil
	}
	st, _, err := b.api(ctx, "GET", "/api/rooms/"+url.PathEscape(b.room), nil)
	if err != nil {
		return nil, err
	}
	var key struct {
		PushKey string `json:"push_key"`
	}
	if st == http.StatusNotFound {
		st, body, err := b.api(ctx, "POST", "/api/rooms", map[string]any{"id": b.room, "title": "chat load test"})
		if err != nil || st/100 != 2 {
			return nil, fmt.Errorf("bench chat: create room: %d %s %v", st, body, err)
		}
		json.Unmarshal(body, &key)
	} else if b.transport == "dc" {
		st, body, err := b.api(ctx, "POST", "/api/rooms/"+url.PathEscape(b.room)+"/keys", nil)
		if err != nil || st/100 != 2 {
			return nil, fmt.Errorf("bench chat: issue push key: %d %s %v", st, body, err)
		}
		json.Unmarshal(body, &key)
	}
	b.pushKey = key.PushKey
	for i := range tokens {
		user := "bench-" + strconv.Itoa(i)
		st, body, err := b.api(ctx, "POST", "/api/rooms/"+url.PathEscape(b.room)+"/viewer-tokens", map[string]any{"user_id": user, "name": user})
		if err == nil && st == http.StatusNotFound {
			st, body, err = b.api(ctx, "POST", "/api/tokens", map[string]any{"user_id": user, "name": user})
		}
		if err != nil || st/100 != 2 {
			return nil, fmt.Errorf("bench chat: mint token: %d %s %v", st, body, err)
		}
		var tok struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(body, &tok); err != nil || tok.Token == "" {
			return nil, fmt.Errorf("bench chat: mint token: %s", body)
		}
		tokens[i] = tok.Token
	}
	return tokens, nil
}

// viewerStats is what one viewer saw.
type viewerStats struct {
	msgs, bytes, danmaku, dropped atomic.Int64
	mu                            sync.Mutex
	lat                           []time.Duration // send → receive; probes only
	in, out                       []time.Duration // send → server accept (at), accept → receive
}

// chatConn is one viewer's connection, whatever the transport.
type chatConn interface {
	send(ctx context.Context, msg []byte) error
	close()
}

type wsChatConn struct{ c *websocket.Conn }

func (w wsChatConn) send(ctx context.Context, msg []byte) error {
	return w.c.Write(ctx, websocket.MessageText, msg)
}
func (w wsChatConn) close() { w.c.Close(websocket.StatusNormalClosure, "") }

func (b *chatBench) run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.duration+2*time.Minute)
	defer cancel()
	tokens, err := b.prepare(ctx)
	if err != nil {
		return err
	}
	stats := make([]*viewerStats, b.viewers)
	conns := make([]chatConn, b.viewers)
	var wg sync.WaitGroup
	readCtx, stopRead := context.WithCancel(ctx)
	var cleanup []func()
	defer func() {
		stopRead()
		for _, c := range conns {
			if c != nil {
				c.close()
			}
		}
		wg.Wait()
		for _, fn := range cleanup {
			fn()
		}
	}()
	attach := b.attachWS
	if b.transport == "dc" {
		pub, api, err := b.publish(ctx)
		if err != nil {
			return err
		}
		cleanup = append(cleanup, func() { pub.Close() })
		attach = func(ctx, readCtx context.Context, wg *sync.WaitGroup, token string, s *viewerStats, probe bool) (chatConn, error) {
			return b.attachDC(ctx, api, token, s, probe)
		}
	}
	// Attach viewers, a few at a time.
	start := time.Now()
	par := 50
	if b.transport == "dc" {
		par = 10
	}
	sem := make(chan struct{}, par)
	var dialErr atomic.Value
	var dialWG sync.WaitGroup
	for i := 0; i < b.viewers; i++ {
		stats[i] = &viewerStats{}
		sem <- struct{}{}
		dialWG.Add(1)
		go func(i int) {
			defer dialWG.Done()
			defer func() { <-sem }()
			token := ""
			if i < b.senders {
				token = tokens[i]
			}
			c, err := attach(ctx, readCtx, &wg, token, stats[i], i < b.probes)
			if err != nil {
				dialErr.Store(err)
				return
			}
			conns[i] = c
		}(i)
	}
	dialWG.Wait()
	if err, _ := dialErr.Load().(error); err != nil {
		return fmt.Errorf("bench chat: attach viewers: %w", err)
	}
	fmt.Fprintf(b.out, "attached %d viewers in %s\n", b.viewers, time.Since(start).Round(time.Millisecond))
	time.Sleep(time.Second)
	for _, s := range stats {
		s.msgs.Store(0)
		s.bytes.Store(0)
	}

	cpu0, _ := procstat.CPU(b.serverPID)
	self0, _ := procstat.CPU(os.Getpid())
	t0 := time.Now()
	b.send(ctx, conns[:b.senders])
	time.Sleep(time.Second) // the last batches
	elapsed := time.Since(t0)
	cpu1, _ := procstat.CPU(b.serverPID)
	self1, _ := procstat.CPU(os.Getpid())
	stopRead()
	b.report(stats, elapsed, cpu1-cpu0, self1-self0)
	return nil
}

// attachWS opens one WebSocket viewer and its reader.
func (b *chatBench) attachWS(ctx, readCtx context.Context, wg *sync.WaitGroup, token string, s *viewerStats, probe bool) (chatConn, error) {
	u := "ws" + strings.TrimPrefix(strings.TrimRight(b.server, "/"), "http") + "/ws/rooms/" + url.PathEscape(b.room)
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	// Credentials go in the first message, never in the URL.
	hello, _ := json.Marshal(map[string]any{"v": 1, "type": "hello", "token": token})
	if err := c.Write(ctx, websocket.MessageText, hello); err != nil {
		c.CloseNow()
		return nil, err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			_, data, err := c.Read(readCtx)
			if err != nil {
				return
			}
			b.onMessage(data, s, probe)
		}
	}()
	return wsChatConn{c}, nil
}

// send paces rate danmaku per second over the senders for the duration.
func (b *chatBench) send(ctx context.Context, senders []chatConn) {
	if len(senders) == 0 || b.rate == 0 {
		time.Sleep(b.duration)
		return
	}
	interval := time.Duration(float64(time.Second) / b.rate)
	deadline := time.Now().Add(b.duration)
	next := time.Now()
	var wg sync.WaitGroup
	defer wg.Wait()
	i := 0
	for time.Now().Before(deadline) {
		next = next.Add(interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		c := senders[i%len(senders)]
		i++
		msg := `{"v":1,"type":"danmaku","text":"bench ` + strconv.FormatInt(time.Now().UnixNano(), 10) + `"}`
		b.sent.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := c.send(wctx, []byte(msg)); err != nil {
				b.countErr("write_failed")
			}
		}()
	}
}

func (b *chatBench) countErr(code string) {
	b.errMu.Lock()
	b.errs[code]++
	b.errMu.Unlock()
}

// onMessage counts every message; probes decode batches for latency.
func (b *chatBench) onMessage(data []byte, s *viewerStats, probe bool) {
	now := time.Now()
	s.msgs.Add(1)
	s.bytes.Add(int64(len(data)))
	head := data[:min(len(data), 40)]
	switch {
	case bytes.Contains(head, []byte(`"type":"ack"`)):
		b.acked.Add(1)
	case bytes.Contains(head, []byte(`"type":"error"`)):
		var e struct{ Code string }
		json.Unmarshal(data, &e)
		b.countErr(e.Code)
	case probe && bytes.Contains(head, []byte(`"type":"batch"`)):
		var m struct {
			Danmaku []struct {
				Text string
				At   int64
			}
			Dropped int64
		}
		if json.Unmarshal(data, &m) != nil {
			return
		}
		s.dropped.Add(m.Dropped)
		s.danmaku.Add(int64(len(m.Danmaku)))
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, d := range m.Danmaku {
			if ts, ok := strings.CutPrefix(d.Text, "bench "); ok {
				if n, err := strconv.ParseInt(ts, 10, 64); err == nil {
					sent, at := time.Unix(0, n), time.UnixMilli(d.At)
					s.lat = append(s.lat, now.Sub(sent))
					s.in = append(s.in, at.Sub(sent))
					s.out = append(s.out, now.Sub(at))
				}
			}
		}
	}
}

func (b *chatBench) report(stats []*viewerStats, elapsed time.Duration, serverCPU, selfCPU time.Duration) {
	var lat, in, out []time.Duration
	var msgs, byts, delivered, dropped int64
	for i, s := range stats {
		msgs += s.msgs.Load()
		byts += s.bytes.Load()
		if i < b.probes {
			s.mu.Lock()
			lat = append(lat, s.lat...)
			in = append(in, s.in...)
			out = append(out, s.out...)
			s.mu.Unlock()
			delivered += s.danmaku.Load()
			dropped += s.dropped.Load()
		}
	}
	for _, l := range [][]time.Duration{lat, in, out} {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	}
	pctOf := func(l []time.Duration, p float64) time.Duration {
		if len(l) == 0 {
			return 0
		}
		return l[min(len(l)-1, int(p*float64(len(l))))].Round(time.Millisecond)
	}
	pct := func(p float64) time.Duration { return pctOf(lat, p) }
	sec := elapsed.Seconds()
	n := float64(len(stats))
	fmt.Fprintf(b.out, "room %s (%s): %d viewers, %d senders, %.0f danmaku/s for %s\n", b.room, b.transport, len(stats), b.senders, b.rate, b.duration)
	fmt.Fprintf(b.out, "danmaku sent %d, accepted %d, refused %v\n", b.sent.Load(), b.acked.Load(), b.errs)
	if b.probes > 0 {
		fmt.Fprintf(b.out, "probes %d: received %.1f%% of accepted danmaku, %d reported dropped\n",
			b.probes, 100*float64(delivered)/float64(max(1, b.acked.Load()*int64(b.probes))), dropped)
	}
	fmt.Fprintf(b.out, "delivery latency: p50 %s  p90 %s  p99 %s  max %s  (%d samples)\n", pct(0.50), pct(0.90), pct(0.99), pct(1), len(lat))
	fmt.Fprintf(b.out, "  of which send → server accept: p50 %s p99 %s; accept → viewer (relay, batching, write): p50 %s p99 %s\n",
		pctOf(in, 0.5), pctOf(in, 0.99), pctOf(out, 0.5), pctOf(out, 0.99))
	fmt.Fprintf(b.out, "per viewer: %.1f messages/s, %.0f bytes/s\n", float64(msgs)/n/sec, float64(byts)/n/sec)
	if b.serverPID > 0 {
		fmt.Fprintf(b.out, "server CPU: %.0f%% of one core (pid %d)\n", 100*serverCPU.Seconds()/sec, b.serverPID)
	}
	fmt.Fprintf(b.out, "load tool CPU: %.0f%% of one core\n", 100*selfCPU.Seconds()/sec)
}

// publish puts a synthetic anchor on air over WHIP (one small VP8 layer),
// so that WHEP viewers can join the room.
func (b *chatBench) publish(ctx context.Context) (*synth.Publisher, *webrtc.API, error) {
	if b.pushKey == "" {
		return nil, nil, errors.New("bench chat: no push key for the synthetic anchor")
	}
	api, err := synth.NewAPI(true)
	if err != nil {
		return nil, nil, err
	}
	pub, err := synth.NewPublisher(api, synth.PublisherOptions{Bitrates: []int{100_000}, FPS: 10, NoAudio: true})
	if err != nil {
		return nil, nil, err
	}
	offer, err := pub.Offer()
	if err != nil {
		pub.Close()
		return nil, nil, err
	}
	answer, err := b.sdp(ctx, "/whip/"+url.PathEscape(b.room), offer, b.pushKey)
	if err != nil {
		pub.Close()
		return nil, nil, fmt.Errorf("bench chat: WHIP: %w", err)
	}
	if err := pub.Start(answer); err != nil {
		pub.Close()
		return nil, nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := synth.WaitConnected(wctx, pub.PeerConnection()); err != nil {
		pub.Close()
		return nil, nil, fmt.Errorf("bench chat: anchor not connected: %w", err)
	}
	return pub, api, nil
}

// sdp posts an offer and returns the answer (retrying while the room is
// not live yet).
func (b *chatBench) sdp(ctx context.Context, path, offer, token string) (string, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(b.server, "/")+path, strings.NewReader(offer))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/sdp")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := b.http.Do(req)
		if err != nil {
			return "", err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode == http.StatusCreated {
			return string(body), nil
		}
		if attempt >= 20 || resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusConflict && resp.StatusCode != http.StatusTooManyRequests {
			return "", fmt.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// dcChatConn is a WHEP viewer chatting over its "livesell" data channel.
type dcChatConn struct {
	v  *synth.Viewer
	dc *webrtc.DataChannel
}

func (d dcChatConn) send(_ context.Context, msg []byte) error { return d.dc.Send(msg) }
func (d dcChatConn) close()                                   { d.v.Close() }

// attachDC plays the room over WHEP with a data channel and waits for it
// to open.
func (b *chatBench) attachDC(ctx context.Context, api *webrtc.API, token string, s *viewerStats, probe bool) (chatConn, error) {
	v, err := synth.NewViewer(api, synth.ViewerOptions{NoAudio: true})
	if err != nil {
		return nil, err
	}
	dc, err := v.PeerConnection().CreateDataChannel("livesell", nil)
	if err != nil {
		v.Close()
		return nil, err
	}
	open := make(chan struct{})
	dc.OnOpen(func() { close(open) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) { b.onMessage(m.Data, s, probe) })
	offer, err := v.Offer()
	if err != nil {
		v.Close()
		return nil, err
	}
	answer, err := b.sdp(ctx, "/whep/"+url.PathEscape(b.room), offer, token)
	if err != nil {
		v.Close()
		return nil, fmt.Errorf("WHEP: %w", err)
	}
	if err := v.Start(answer); err != nil {
		v.Close()
		return nil, err
	}
	select {
	case <-open:
		return dcChatConn{v: v, dc: dc}, nil
	case <-time.After(20 * time.Second):
		v.Close()
		return nil, errors.New("data channel did not open")
	case <-ctx.Done():
		v.Close()
		return nil, ctx.Err()
	}
}
