// Package bench is livesell's media load tool: it publishes a synthetic
// stream over WHIP (three simulcast VP8 layers, or one VP8 or H.264 layer
// as OBS and ffmpeg publish), attaches WHEP viewers over loopback (pinned
// to a layer, or automatic), and reports join time, delivery against what
// was due, delay, the server's CPU cost per packet received and its peak
// memory. It drives any WHIP/WHEP server (WHIPURL, WHEPURL), so the same
// load can be put on other servers.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/livesell/livesell/internal/procstat"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/livesell/livesell/sfu/synth"
	"github.com/pion/webrtc/v4"
)

// MediaOptions configure RunMedia. Zero values take the defaults noted.
type MediaOptions struct {
	// Server is the base URL of a livesell server (http://host:port) on
	// loopback; required.
	Server string
	// AdminToken, when PushKey is empty, creates a fresh room through
	// POST /api/rooms and publishes with its push key.
	AdminToken string
	// Room to publish into; default "bench".
	Room string
	// PushKey is sent as "Authorization: Bearer" on the WHIP request.
	PushKey string
	// Viewers to attach; default 300.
	Viewers int
	// Layer each viewer asks for (?layer=); default "h".
	Layer string
	// Duration of the measurement window after all viewers joined; default 20s.
	Duration time.Duration
	// JoinConcurrency is the number of WHEP requests in flight; default 8.
	JoinConcurrency int
	// ServerPID, when > 0, is the server process whose CPU time is read
	// from /proc/<pid>/stat; 0 reads this process's own CPU time (the
	// server runs in-process, load generator included: an upper bound).
	ServerPID int
	// Bitrates of the q, h and f layers in bits per second; default
	// 250k, 650k and 1.6M (2.5 Mbps in all).
	Bitrates []int
	// Publisher is "simulcast" (three layers, Bitrates) or "single" (one
	// layer without rid at Bitrates[0]); default simulcast.
	Publisher string
	// Codec is "vp8" or "h264" (42e01f, packetization mode 1, offered
	// alone by the publisher and by the viewers); default vp8.
	Codec string
	// Pin is "layer" (viewers ask for Layer) or "auto" (viewers ask for
	// nothing and the server chooses); default layer.
	Pin string
	// NoAudio publishes video only.
	NoAudio bool
	// WHIPURL and WHEPURL, when set, replace Server's /whip/{room} and
	// /whep/{room} (another server's endpoints); Bearer is then sent on
	// both requests.
	WHIPURL, WHEPURL, Bearer string
	// Pacing spreads the publisher's frames like a browser's pacer (see
	// synth.PublisherOptions.Pacing; the command line uses 2.5); 0 sends
	// each frame of every layer in one burst.
	Pacing float64
	// WHEPNodes, when set, replace WHEPURL with one WHEP endpoint per node
	// ({room} replaced): viewer i posts to WHEPNodes[i mod len] and must be
	// answered there (a redirect is a failed join, not followed).
	WHEPNodes []string
	// OnWindow, when set, is called right as the steady window opens and
	// closes (per-node CPU and /metrics readings).
	OnWindow func(Window)
	// OnNodes, when set with WHEPNodes, receives the viewers' tallies per
	// node after the report.
	OnNodes func([]NodeResult)
	// Logger for progress; nil discards.
	Logger *slog.Logger
}

func (o *MediaOptions) defaults() {
	if o.Room == "" {
		o.Room = "bench"
	}
	if o.Viewers == 0 {
		o.Viewers = 300
	}
	if o.Layer == "" {
		o.Layer = "h"
	}
	if o.Publisher == "" {
		o.Publisher = "simulcast"
	}
	if o.Codec == "" {
		o.Codec = "vp8"
	}
	if o.Pin == "" {
		o.Pin = "layer"
	}
	if o.Duration == 0 {
		o.Duration = 20 * time.Second
	}
	if o.JoinConcurrency == 0 {
		o.JoinConcurrency = 8
	}
	if len(o.Bitrates) == 0 {
		o.Bitrates = []int{250_000, 650_000, 1_600_000}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// RunMedia runs the load test and writes a report to out.
func RunMedia(ctx context.Context, opts MediaOptions, out io.Writer) error {
	opts.defaults()
	log := opts.Logger
	if opts.Server == "" && opts.WHIPURL == "" {
		return errors.New("bench: no server URL")
	}
	if opts.WHIPURL == "" {
		opts.WHIPURL = opts.Server + "/whip/{room}"
	}
	if opts.WHEPURL == "" {
		opts.WHEPURL = opts.Server + "/whep/{room}"
	}
	cpu := cpuReader(opts.ServerPID)
	cpuLabel := fmt.Sprintf("server pid %d", opts.ServerPID)
	if opts.ServerPID <= 0 {
		cpuLabel = "this process (server + load generator)"
	}
	api, err := synth.NewAPI(true)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{}}
	nodes := opts.WHEPNodes
	if len(nodes) > 0 {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	} else {
		nodes = []string{opts.WHEPURL}
	}
	defer client.CloseIdleConnections()
	if opts.PushKey == "" && opts.AdminToken != "" {
		room, key, err := createRoom(ctx, client, opts.Server, opts.AdminToken)
		if err != nil {
			return fmt.Errorf("bench: create room: %w", err)
		}
		opts.Room, opts.PushKey = room, key
	}

	po := synth.PublisherOptions{RIDs: []string{"q", "h", "f"}, Bitrates: opts.Bitrates, FPS: 30, GOP: 30, Pacing: opts.Pacing,
		H264: opts.Codec == "h264", NoAudio: opts.NoAudio}
	if opts.Publisher == "single" {
		po.RIDs, po.Bitrates = nil, opts.Bitrates[:1]
	}
	pub, err := synth.NewPublisher(api, po)
	if err != nil {
		return err
	}
	defer pub.Close()
	offer, err := pub.Offer()
	if err != nil {
		return err
	}
	pubBearer := opts.PushKey
	if opts.Bearer != "" {
		pubBearer = opts.Bearer
	}
	base := baseOf(opts.WHIPURL)
	answer, loc, err := post(ctx, client, strings.ReplaceAll(opts.WHIPURL, "{room}", opts.Room), pubBearer, offer)
	if err != nil {
		return fmt.Errorf("bench: WHIP: %w", err)
	}
	defer deleteResource(client, base, loc, pubBearer)
	if err := pub.Start(answer); err != nil {
		return err
	}
	log.Info("publishing", "room", opts.Room)
	select {
	case <-time.After(1500 * time.Millisecond): // let the keyframe caches fill
	case <-ctx.Done():
		return ctx.Err()
	}

	viewers := make([]*viewerStats, opts.Viewers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, opts.JoinConcurrency)
	failed := make([][]error, len(nodes))
	var errMu sync.Mutex
	joinStart := time.Now()
	for i := range viewers {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			vs, err := join(ctx, api, client, opts, nodes[i%len(nodes)])
			if err != nil {
				errMu.Lock()
				failed[i%len(nodes)] = append(failed[i%len(nodes)], err)
				errMu.Unlock()
				return
			}
			viewers[i] = vs
		}()
	}
	wg.Wait()
	joinAll := time.Since(joinStart)
	defer func() {
		// End the WHEP sessions first so that the server stops sending at
		// once instead of after an ICE timeout (which would load the next run).
		var dwg sync.WaitGroup
		dsem := make(chan struct{}, 16)
		for _, v := range viewers {
			if v == nil {
				continue
			}
			dwg.Add(1)
			dsem <- struct{}{}
			go func() {
				defer dwg.Done()
				defer func() { <-dsem }()
				deleteResource(client, baseOf(v.whep), v.loc, opts.Bearer)
			}()
		}
		dwg.Wait()
		for _, v := range viewers {
			if v != nil {
				_ = v.v.Close()
			}
		}
	}()
	if len(opts.WHEPNodes) > 0 {
		if err := nodeJoinError(nodes, failed); err != nil {
			return err
		}
	} else if err := errors.Join(failed[0]...); err != nil {
		return fmt.Errorf("bench: joining viewers: %w", err)
	}
	log.Info("viewers joined", "n", len(viewers), "in", joinAll)
	// Wait for every first keyframe, 5 s at most in all: viewers still
	// without one are reported as such.
	waitCtx, cancelWait := context.WithTimeout(ctx, 5*time.Second)
	for _, v := range viewers {
		select {
		case <-v.v.Keyframe():
		case <-waitCtx.Done():
		}
	}
	cancelWait()
	if err := ctx.Err(); err != nil {
		return err
	}
	time.Sleep(time.Second) // settle

	perFrame := synth.PacketsPerFrame(po.Bitrates[0], po.FPS)
	// The frames counted as delivered are those of the viewers' layer: the
	// only one, or the one simulcast viewers pin (every layer sends a frame
	// at the same instants, so layer 0's count is what each is due).
	frameLayer, layerPerFrame := 0, perFrame
	if li := layerIndex(opts.Layer); len(po.Bitrates) == 3 && opts.Pin == "layer" && li >= 0 {
		frameLayer, layerPerFrame = li, synth.PacketsPerFrame(po.Bitrates[li], po.FPS)
	}
	t0 := time.Now()
	for _, v := range viewers {
		v.begin(t0.UnixNano(), t0.Add(opts.Duration).UnixNano(), uint8(frameLayer), uint8(layerPerFrame-1))
	}
	if opts.OnWindow != nil {
		opts.OnWindow(Window{Begin: true, At: t0})
	}
	self := cpuReader(0)
	h0 := scrapeHistograms(client, opts.Server, opts.AdminToken, fanoutMetric, forwardMetric, shedMetric) // livesell's own; other servers: none
	cpu0, self0, sent0 := readCPU(cpu), readCPU(self), pub.Sent()
	select {
	case <-time.After(opts.Duration):
	case <-ctx.Done():
		return ctx.Err()
	}
	cpu1, self1, sent1 := readCPU(cpu), readCPU(self), pub.Sent()
	elapsed := time.Since(t0)
	if opts.OnWindow != nil {
		opts.OnWindow(Window{At: t0.Add(elapsed)})
	}
	h1 := scrapeHistograms(client, opts.Server, opts.AdminToken, fanoutMetric, forwardMetric, shedMetric)
	for _, v := range viewers {
		v.end()
	}
	// Packets sent at the end of the window may still be on their way.
	const grace = 2 * time.Second
	select {
	case <-time.After(grace):
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, v := range viewers {
		v.finish()
	}
	frames := pub.FramesSent(t0.UnixNano(), t0.Add(opts.Duration).UnixNano())
	w := window{d: elapsed, cpu: cpu1 - cpu0, haveCPU: cpu != nil, cpuLabel: cpuLabel, sent: sent1 - sent0,
		frames: frames, perFrame: perFrame, grace: grace,
		layers: len(po.Bitrates), peakRSS: peakRSS(opts.ServerPID)}
	if err := report(out, opts, viewers, joinAll, w); err != nil {
		return err
	}
	if f := latencySummary(h0[forwardMetric], h1[forwardMetric], "packets to viewers"); f != "" {
		fmt.Fprintf(out, "  server forwarding latency (packet read -> written to the viewer): %s\n", f)
	}
	if f := latencySummary(h0[fanoutMetric], h1[fanoutMetric], "packets"); f != "" {
		fmt.Fprintf(out, "  server fan-out (packet read -> written to every viewer): %s\n", f)
	}
	if a, b := h1[shedMetric], h0[shedMetric]; a != nil && b != nil {
		fmt.Fprintf(out, "  server shed %.0f publisher packets (fan-out behind, until a keyframe in time)\n", a.sum-b.sum)
	}
	if len(opts.WHEPNodes) > 0 && opts.OnNodes != nil {
		due := frames
		if len(po.Bitrates) > 1 && opts.Pin != "layer" {
			due = 0
		}
		opts.OnNodes(nodeResults(nodes, viewers, due))
	}
	if opts.ServerPID > 0 {
		fmt.Fprintf(out, "  load generator CPU: %.2f cores (same machine: latency and join times include its queueing)\n",
			(self1-self0).Seconds()/elapsed.Seconds())
	}
	return nil
}

// join attaches one WHEP viewer and records its join time.
func join(ctx context.Context, api *webrtc.API, client *http.Client, opts MediaOptions, whep string) (*viewerStats, error) {
	vs := &viewerStats{whep: whep}
	vo := synth.ViewerOptions{OnVideo: vs.onVideo, NoAudio: opts.NoAudio}
	if opts.Codec == "h264" {
		vo.VideoCodecs = synth.H264Codecs()
	}
	v, err := synth.NewViewer(api, vo)
	if err != nil {
		return nil, err
	}
	vs.v = v
	offer, err := v.Offer()
	if err != nil {
		_ = v.Close()
		return nil, err
	}
	vs.postAt = time.Now()
	url := strings.ReplaceAll(whep, "{room}", opts.Room)
	if opts.Pin == "layer" {
		url += "?layer=" + opts.Layer
	}
	answer, loc, err := post(ctx, client, url, opts.Bearer, offer)
	if err != nil {
		_ = v.Close()
		return nil, err
	}
	vs.loc = loc
	if err := v.Start(answer); err != nil {
		_ = v.Close()
		return nil, err
	}
	return vs, nil
}

func post(ctx context.Context, c *http.Client, url, bearer, body string) (string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/sdp")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return "", "", fmt.Errorf("%s: %s to %q: %w", url, resp.Status, resp.Header.Get("Location"), errRedirected)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("%s: %s: %s", url, resp.Status, bytes.TrimSpace(b))
	}
	return string(b), resp.Header.Get("Location"), nil
}

// baseOf returns the scheme and host of url (for relative Locations).
func baseOf(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		if j := strings.IndexByte(url[i+3:], '/'); j >= 0 {
			return url[:i+3+j]
		}
	}
	return url
}

// deleteResource ends a WHIP/WHEP session (best effort).
func deleteResource(c *http.Client, server, loc, bearer string) {
	if loc == "" {
		return
	}
	if strings.HasPrefix(loc, "/") {
		loc = server + loc
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, loc, nil)
	if err != nil {
		return
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if resp, err := c.Do(req); err == nil {
		_ = resp.Body.Close()
	}
}

// cpuReader returns a function reading a process's CPU time: pid > 0 from
// /proc/<pid>/stat, else this process's rusage.
func cpuReader(pid int) func() (time.Duration, error) {
	if pid > 0 {
		return func() (time.Duration, error) { return procstat.CPU(pid) }
	}
	return func() (time.Duration, error) {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0, err
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
	}
}

func readCPU(f func() (time.Duration, error)) time.Duration {
	if f == nil {
		return 0
	}
	d, _ := f()
	return d
}

// createRoom makes a fresh room through the admin API and returns its id
// and push key.
func createRoom(ctx context.Context, c *http.Client, server, adminToken string) (string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+"/api/rooms", strings.NewReader(`{"title":"bench media"}`))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := c.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	var room struct {
		ID      string `json:"id"`
		PushKey string `json:"push_key"`
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, &room); err != nil || room.ID == "" || room.PushKey == "" {
		return "", "", fmt.Errorf("unexpected answer %s (%v)", body, err)
	}
	return room.ID, room.PushKey, nil
}
