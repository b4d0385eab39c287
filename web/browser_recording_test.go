//go:build browser

package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
)

// recPublish publishes ffmpeg-encoded simulcast media (VP8 or H.264) into
// room through WHIP with the room's push key.
func recPublish(t *testing.T, n *node, room, key, media string, h264 bool) *synth.MediaPublisher {
	t.Helper()
	a, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := synth.NewMediaPublisher(a, media, h264)
	if err != nil {
		t.Fatal(err)
	}
	offer, err := p.Offer()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, n.base+"/whip/"+room, strings.NewReader(offer))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHIP: %d %s", resp.StatusCode, answer)
	}
	if err := p.Start(string(answer)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := synth.WaitConnected(ctx, p.PeerConnection()); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRecordingPlays records a 30 s show on a node — VP8 and H.264 simulcast
// with the top layer stopping and coming back, and a pause — and plays its
// media URL in a <video> of headless Chromium: the duration is the
// recording's, currentTime advances, frames are decoded (and counted by
// requestVideoFrameCallback), also after seeking past the pause.
func TestRecordingPlays(t *testing.T) {
	media := filepath.Join(os.TempDir(), "livesell-test-media-40s-v2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a first encode on a loaded 2-core box
	defer cancel()
	if err := synth.EncodeMedia(ctx, media, 40); err != nil {
		t.Fatal(err)
	}
	n := startNode(t)
	browser := newBrowser(t)
	for _, tc := range []struct {
		name string
		h264 bool
		mime string
	}{{"VP8", false, "video/webm"}, {"H264", true, "video/x-matroska"}} {
		t.Run(tc.name, func(t *testing.T) {
			room := createRoom(t, n, "Replay "+tc.name, nil)
			admin := n.srv.AdminToken()
			n.mustCall(t, "PATCH", "/api/rooms/"+room.ID, admin, map[string]any{"record": true}, nil)

			// The show, 30 s in real time: 6 s, the top layer away for 5 s,
			// 6 s, a 4 s pause, 9 s more.
			p := recPublish(t, n, room.ID, room.PushKey, media, tc.h264)
			begin := time.Now()
			at := func(s float64) { time.Sleep(time.Until(begin.Add(time.Duration(s * float64(time.Second))))) }
			at(6)
			p.PauseLayer(1, true)
			at(11)
			p.PauseLayer(1, false)
			at(17)
			_ = p.Close()
			at(21)
			p2 := recPublish(t, n, room.ID, room.PushKey, media, tc.h264)
			at(30)
			n.mustCall(t, "POST", "/api/rooms/"+room.ID+"/end", admin, nil, nil)
			show := time.Since(begin).Seconds()
			_ = p2.Close()

			type rec struct {
				ID         string `json:"id"`
				State      string `json:"state"`
				DurationMs int64  `json:"duration_ms"`
				MIME       string `json:"mime"`
				MediaURL   string `json:"media_url"`
				Gaps       []struct {
					FromMs int64 `json:"from_ms"`
					ToMs   int64 `json:"to_ms"`
				} `json:"gaps"`
			}
			var list struct {
				Recordings []rec `json:"recordings"`
			}
			deadline := time.Now().Add(30 * time.Second)
			for len(list.Recordings) != 1 || list.Recordings[0].State != "complete" {
				if time.Now().After(deadline) {
					t.Fatalf("no complete recording: %+v", list)
				}
				time.Sleep(100 * time.Millisecond)
				n.mustCall(t, "GET", "/api/rooms/"+room.ID+"/recordings", "", nil, &list)
			}
			r := list.Recordings[0]
			if r.MIME != tc.mime || len(r.Gaps) == 0 {
				t.Fatalf("recording %+v", r)
			}
			if d := float64(r.DurationMs) / 1000; d < show-1 || d > show+1 {
				t.Errorf("recording of %d ms, the show lasted %.3f s (want ± 1 s)", r.DurationMs, show)
			}
			resume := float64(r.Gaps[len(r.Gaps)-1].ToMs)/1000 + 0.5

			pg := newPage(t, browser, "replay-"+tc.name, n.base+"/healthz")
			pg.must()
			var started any
			if err := pg.eval(fmt.Sprintf(`(async () => {
				const v = document.createElement('video');
				v.muted = true; v.playsInline = true; v.width = 640;
				window.frames_ = 0;
				const count = () => { window.frames_++; v.requestVideoFrameCallback(count); };
				v.requestVideoFrameCallback(count);
				v.src = %q;
				document.body.append(v);
				window.v_ = v;
				await v.play();
				return true;
			})()`, r.MediaURL), &started); err != nil {
				pg.fail("play: %v", err)
			}
			pg.waitFor(20*time.Second, `v_.currentTime > 3 && v_.getVideoPlaybackQuality().totalVideoFrames > 60 && frames_ > 60 && v_.videoWidth > 0`, "3 s played with frames decoded")
			dur := pg.number(`v_.duration`)
			if want := float64(r.DurationMs) / 1000; dur < want-1 || dur > want+1 {
				t.Errorf("<video> duration %.3f s, recording %d ms", dur, r.DurationMs)
			}
			before := pg.number(`v_.getVideoPlaybackQuality().totalVideoFrames`)
			pg.must()
			if err := pg.eval(fmt.Sprintf(`(v_.currentTime = %f, true)`, resume), &started); err != nil {
				pg.fail("seek: %v", err)
			}
			pg.waitFor(20*time.Second, fmt.Sprintf(`v_.currentTime > %f && v_.getVideoPlaybackQuality().totalVideoFrames > %f + 30 && !v_.error`, resume+1, before), "playing after the pause")
			t.Logf("%s: duration %.3f s, %v frames decoded, %v dropped, played to %.2f s", tc.name, dur,
				pg.number(`v_.getVideoPlaybackQuality().totalVideoFrames`), pg.number(`v_.getVideoPlaybackQuality().droppedVideoFrames`), pg.number(`v_.currentTime`))
		})
	}
}
