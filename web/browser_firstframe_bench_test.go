//go:build browser

package web_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu"
)

// The first-frame benchmark: the probe pages of TestFirstFrame against
// livesell and, when given, other WHIP/WHEP servers already running on
// loopback, in one sitting. Each join is measured over its first 5 s;
// rounds alternate between a join at a keyframe and joins 1.5 s and 4 s
// into a GOP.
//
//	.ci/browser.sh -test.run '^$' -test.bench FirstFrame -test.benchtime 1x \
//	  -ff.peers 'broadcastbox,http://127.0.0.1:8090,/api/whip,/api/whep,ff{n};mediamtx,http://127.0.0.1:8889,/ff{n}/whip,/ff{n}/whep,'
//
// sfu/bench/firstframe-peers.sh starts given peer binaries and runs this.
var (
	ffPeers  = flag.String("ff.peers", "", "other servers: name,base URL,WHIP path,WHEP path,bearer token ({n} names a fresh stream; empty token: none); several separated by ;")
	ffCodecs = flag.String("ff.codecs", "vp8,h264", "codecs to measure, comma-separated")
	ffRounds = flag.Int("ff.rounds", 6, "joins of one viewer, and rounds of 4 viewers joining together, per server and codec")
)

// ffStream is where one measurement publishes and plays: WHIP and WHEP
// paths and their bearer tokens ("" for none).
type ffStream struct{ whip, whipToken, whep, whepToken string }

// ffTarget is one server under measurement. stream returns a new stream
// for each measurement, so that no earlier publisher is in the way.
type ffTarget struct {
	name, base string
	stream     func() ffStream
}

// ffBareSFU serves WHIP and WHEP straight from an sfu.Engine built from
// cfg, without the rest of livesell: for measuring the media path with a
// setting the node does not expose (the keyframe cache off).
func ffBareSFU(t testing.TB, cfg sfu.Config) string {
	t.Helper()
	cfg.ICEInterfaces = []string{"lo"}
	cfg.Logger = slog.New(slog.DiscardHandler)
	eng, err := sfu.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	handle := func(publish bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
			defer cancel()
			var s *sfu.Session
			if publish {
				s, err = eng.Publish(ctx, sfu.PublishRequest{Room: r.PathValue("room"), OfferSDP: string(body)})
			} else {
				s, err = eng.Subscribe(ctx, sfu.SubscribeRequest{Room: r.PathValue("room"), OfferSDP: string(body)})
			}
			switch {
			case errors.Is(err, sfu.ErrNotLive):
				http.Error(w, err.Error(), http.StatusConflict)
				return
			case err != nil:
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/sdp")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, s.AnswerSDP())
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /whip/{room}", handle(true))
	mux.HandleFunc("POST /whep/{room}", handle(false))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// ffSample is one viewer's join.
type ffSample struct {
	firstMs, dropped, freezes float64
}

// ffMeasure publishes codec to target and joins viewers (1 or 4 at once)
// rounds times, returning every viewer's join.
func ffMeasure(b *testing.B, browser context.Context, tg ffTarget, codec string, viewers, rounds int) []ffSample {
	front := ffFront(b, tg.base)
	st := tg.stream()
	pub := ffPage(b, browser, front, tg.name+" publisher")
	ffPublishOn(b, pub, st.whip, st.whipToken, codec)
	var out []ffSample
	for round := range rounds {
		if want, got := ffJoins[round%len(ffJoins)].frames, ffJoin(pub, ffJoins[round%len(ffJoins)].frames, false); got < float64(want) {
			b.Logf("%s: the publisher's GOP reached %.0f frames, not %d (the server asks for keyframes)", tg.name, got, want)
		}
		views := make([]*page, viewers)
		for i := range views {
			views[i] = ffPage(b, browser, front, fmt.Sprintf("%s viewer %d", tg.name, i))
		}
		for _, v := range views {
			ffStartView(b, v, st.whep, st.whepToken)
		}
		for _, v := range views {
			res := ffWait(b, v)
			v.close()
			out = append(out, ffSample{res.firstFrameMs(), res.At5.Video.FramesDropped, res.At5.Video.FreezeCount})
			b.Logf("%s %s %d viewers round %d: %s", tg.name, codec, viewers, round, res.summary())
		}
	}
	if _, err := evalJS[bool](pub, `window.ffPub.stop()`); err != nil {
		b.Logf("%s: stop the publisher: %v", tg.name, err)
	}
	pub.close()
	return out
}

// ffRow summarises samples as a markdown table row.
func ffRow(name, codec string, viewers int, ss []ffSample) string {
	first := make([]float64, len(ss))
	var dropped, freezes, worstDrop float64
	for i, s := range ss {
		first[i] = s.firstMs
		dropped += s.dropped
		freezes += s.freezes
		worstDrop = max(worstDrop, s.dropped)
	}
	slices.Sort(first)
	q := func(p float64) float64 { return first[int(p*float64(len(first)-1)+0.5)] }
	return fmt.Sprintf("| %s | %s | %d | %d | %.0f | %.0f | %.0f | %.0f (max %.0f per join) | %.0f |",
		name, codec, viewers, len(ss), q(0.5), q(0.95), first[len(first)-1], dropped, worstDrop, freezes)
}

// BenchmarkFirstFrame measures time to first presented frame (from the WHEP
// answer), frames dropped and freezes in the first 5 s of browser viewers
// joining a live browser publisher: livesell, the bare SFU with the
// keyframe cache off, and the peers of -ff.peers.
func BenchmarkFirstFrame(b *testing.B) {
	n := startNode(b)
	bare := ffBareSFU(b, sfu.Config{NoKeyframeCache: true})
	var seq int
	next := func() int { seq++; return seq }
	targets := []ffTarget{
		{name: "livesell", base: n.base, stream: func() ffStream {
			r := createRoom(b, n, "first frame bench", nil)
			return ffStream{whip: "/whip/" + r.ID, whipToken: r.PushKey, whep: "/whep/" + r.ID}
		}},
		{name: "livesell SFU, cache off", base: bare, stream: func() ffStream {
			room := fmt.Sprintf("ff%d", next())
			return ffStream{whip: "/whip/" + room, whep: "/whep/" + room}
		}},
	}
	for _, spec := range strings.Split(*ffPeers, ";") {
		if spec = strings.TrimSpace(spec); spec == "" {
			continue
		}
		f := strings.Split(spec, ",")
		if len(f) != 5 {
			b.Fatalf("-ff.peers entry %q: want name,base,whip,whep,token", spec)
		}
		targets = append(targets, ffTarget{name: f[0], base: f[1], stream: func() ffStream {
			// {n} in a path or the token names a fresh stream.
			k := fmt.Sprint(next())
			sub := func(s string) string { return strings.ReplaceAll(s, "{n}", k) }
			return ffStream{whip: sub(f[2]), whipToken: sub(f[4]), whep: sub(f[3]), whepToken: sub(f[4])}
		}})
	}
	browser := newBrowser(b)
	var rows []string
	for b.Loop() {
		rows = rows[:0]
		for _, codec := range strings.Split(*ffCodecs, ",") {
			for _, viewers := range []int{1, 4} {
				rounds := *ffRounds
				// Servers alternate within each codec and viewer count, so
				// that the machine's load falls on all of them alike.
				for _, tg := range targets {
					ss := ffMeasure(b, browser, tg, codec, viewers, rounds)
					rows = append(rows, ffRow(tg.name, codec, viewers, ss))
				}
			}
		}
	}
	b.Logf("first frame in headless Chromium, %s:\n| server | codec | viewers | joins | first frame p50 (ms) | p95 (ms) | max (ms) | frames dropped | freezes |\n|---|---|---|---|---|---|---|---|---|\n%s",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), strings.Join(rows, "\n"))
}
