package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/internal/testnode"
	"github.com/livesell/livesell/sfu/synth"
)

type apiRecording struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	DurationMs int64  `json:"duration_ms"`
	Bytes      int64  `json:"bytes"`
	Codecs     struct {
		Video, Audio string
	} `json:"codecs"`
	MIME     string `json:"mime"`
	MediaURL string `json:"media_url"`
	Segments []struct {
		StartMs int64 `json:"start_ms"`
		EndMs   int64 `json:"end_ms"`
	} `json:"segments"`
	Gaps []struct {
		FromMs int64 `json:"from_ms"`
		ToMs   int64 `json:"to_ms"`
	} `json:"gaps"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// httpDo makes one request to base+path and returns status, headers and body.
func httpDo(t *testing.T, method, url, bearer, ct, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// whipPublish publishes real encoded media into room through WHIP.
func whipPublish(t *testing.T, base, room, pushKey, media string) *synth.MediaPublisher {
	t.Helper()
	a, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := synth.NewMediaPublisher(a, media, false)
	if err != nil {
		t.Fatal(err)
	}
	offer, err := p.Offer()
	if err != nil {
		t.Fatal(err)
	}
	status, _, answer := httpDo(t, http.MethodPost, base+"/whip/"+room, pushKey, "application/sdp", offer)
	if status != http.StatusCreated {
		t.Fatalf("WHIP: %d %s", status, answer)
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

func testMedia(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "livesell-test-media-40s-v2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a first encode on a loaded 2-core box
	defer cancel()
	if err := synth.EncodeMedia(ctx, dir, 40); err != nil {
		t.Fatal(err)
	}
	return dir
}

func probeDuration(t *testing.T, data []byte) float64 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "probe.mkv")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v: %s", err, out)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		t.Fatalf("ffprobe duration %q: %v", out, err)
	}
	if dec, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough", "-enc_time_base", "-1", "-f", "null", "-").CombinedOutput(); err != nil || len(bytes.TrimSpace(dec)) > 0 {
		t.Errorf("ffmpeg decode: %v: %s", err, dec)
	}
	return d
}

// TestRecordingAPI records a show with a pause on a whole node — into the
// data directory, and into an S3 server (gofakes3) in this process — and
// goes through the API: one recording with one gap, the media whole and by
// Range (206, 416), a clip cut on segments that ffprobe reads from 0,
// access as the room's rules say, storage used, delete.
func TestRecordingAPI(t *testing.T) {
	media := testMedia(t)
	s3 := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer s3.Close()
	for _, store := range []string{"", "s3+http://" + strings.TrimPrefix(s3.URL, "http://") + "/replays/shop?region=us-east-1"} {
		name := "dir"
		if store != "" {
			name = "s3"
		}
		t.Run(name, func(t *testing.T) {
			cfg := testnode.Config(t)
			cfg.Recording.Store, cfg.Recording.StoreAccessKey, cfg.Recording.StoreSecretKey = store, "key", "secret"
			srv, base := testnode.Start(t, cfg, testenv.Logger(t))
			admin := srv.AdminToken()
			_, _, raw := httpDo(t, http.MethodPost, base+"/api/rooms", admin, "application/json", `{"id":"show","title":"Show"}`)
			pushKey := jsonString(t, raw, "push_key")
			if st, _, b := httpDo(t, http.MethodPatch, base+"/api/rooms/show", admin, "application/json", `{"record":true}`); st != http.StatusOK || !bytes.Contains(b, []byte(`"record":true`)) {
				t.Fatalf("PATCH record: %d %s", st, b)
			}

			p := whipPublish(t, base, "show", pushKey, media)
			time.Sleep(6 * time.Second) // the show: real time, nothing to poll
			_ = p.Close()
			time.Sleep(3 * time.Second) // the pause
			p2 := whipPublish(t, base, "show", pushKey, media)
			defer p2.Close()
			time.Sleep(6 * time.Second)
			_ = p2.Close() // gone first: the end comes while the recording is paused
			if st, _, b := httpDo(t, http.MethodPost, base+"/api/rooms/show/end", admin, "", ""); st != http.StatusOK {
				t.Fatalf("end: %d %s", st, b)
			}

			var list struct {
				Recordings   []apiRecording `json:"recordings"`
				StorageBytes int64          `json:"storage_bytes"`
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				st, _, b := httpDo(t, http.MethodGet, base+"/api/rooms/show/recordings", "", "", "")
				if st != http.StatusOK {
					t.Fatalf("list: %d %s", st, b)
				}
				if err := json.Unmarshal(b, &list); err != nil {
					t.Fatal(err)
				}
				if len(list.Recordings) == 1 && list.Recordings[0].State == "complete" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no complete recording: %s", b)
				}
				time.Sleep(100 * time.Millisecond)
			}
			rec := list.Recordings[0]
			t.Logf("recording %s: %d ms, %d bytes, %d segments, gaps %+v, storage %d", rec.ID, rec.DurationMs, rec.Bytes, len(rec.Segments), rec.Gaps, list.StorageBytes)
			if rec.Codecs.Video != "VP8" || rec.Codecs.Audio != "opus" || rec.MIME != "video/webm" || len(rec.Gaps) != 1 || len(rec.Segments) < 3 {
				t.Fatalf("recording %+v", rec)
			}
			if rec.DurationMs < 13500 || rec.DurationMs > 16500 || list.StorageBytes < rec.Bytes || rec.ExpiresAt == nil {
				t.Errorf("duration %d ms (want ~15 s), storage %d for %d bytes, expires %v", rec.DurationMs, list.StorageBytes, rec.Bytes, rec.ExpiresAt)
			}

			st, hdr, whole := httpDo(t, http.MethodGet, base+rec.MediaURL, "", "", "")
			if st != http.StatusOK || hdr.Get("Accept-Ranges") != "bytes" || hdr.Get("Content-Type") != "video/webm" {
				t.Fatalf("media: %d %v", st, hdr)
			}
			if d := probeDuration(t, whole); d < float64(rec.DurationMs)/1000-1 || d > float64(rec.DurationMs)/1000+1 {
				t.Errorf("ffprobe duration %.3f s, recording says %d ms", d, rec.DurationMs)
			}
			st, hdr, part := httpDo(t, http.MethodGet, base+rec.MediaURL, "", "", "", "Range", "bytes=1000-299999")
			if st != http.StatusPartialContent || !bytes.Equal(part, whole[1000:300000]) || hdr.Get("Content-Range") != fmt.Sprintf("bytes 1000-299999/%d", len(whole)) {
				t.Errorf("range: %d %q, %d bytes", st, hdr.Get("Content-Range"), len(part))
			}
			st, _, tail := httpDo(t, http.MethodGet, base+rec.MediaURL, "", "", "", "Range", "bytes=-100")
			if st != http.StatusPartialContent || !bytes.Equal(tail, whole[len(whole)-100:]) {
				t.Errorf("suffix range: %d, %d bytes", st, len(tail))
			}
			if st, _, b := httpDo(t, http.MethodGet, base+rec.MediaURL, "", "", "", "Range", fmt.Sprintf("bytes=%d-", len(whole))); st != http.StatusRequestedRangeNotSatisfiable {
				t.Errorf("range past the end: %d %s", st, b)
			}

			from, to := rec.Segments[1].StartMs+100, rec.Segments[1].EndMs-100
			st, hdr, clip := httpDo(t, http.MethodGet, fmt.Sprintf("%s/api/rooms/show/recordings/%s/clip?from_ms=%d&to_ms=%d", base, rec.ID, from, to), "", "", "")
			if st != http.StatusOK || hdr.Get("X-Clip-From-Ms") != strconv.FormatInt(rec.Segments[1].StartMs, 10) || hdr.Get("X-Clip-To-Ms") != strconv.FormatInt(rec.Segments[1].EndMs, 10) {
				t.Fatalf("clip: %d %v", st, hdr)
			}
			want := float64(rec.Segments[1].EndMs-rec.Segments[1].StartMs) / 1000
			if d := probeDuration(t, clip); d < want-0.2 || d > want+0.2 {
				t.Errorf("clip duration %.3f s, want the segment's %.3f s", d, want)
			}
			if st, _, _ := httpDo(t, http.MethodGet, base+"/api/rooms/show/recordings/"+rec.ID+"/clip?from_ms=9&to_ms=3", "", "", ""); st != http.StatusBadRequest {
				t.Errorf("backwards clip: %d", st)
			}

			// Private: the recordings follow the room.
			httpDo(t, http.MethodPatch, base+"/api/rooms/show", admin, "application/json", `{"private":true}`)
			if st, _, _ := httpDo(t, http.MethodGet, base+rec.MediaURL, "", "", ""); st != http.StatusUnauthorized {
				t.Errorf("private room's media, anonymous: %d", st)
			}
			_, _, raw = httpDo(t, http.MethodPost, base+"/api/rooms/show/viewer-tokens", admin, "application/json", `{"user_id":"u1"}`)
			viewer := jsonString(t, raw, "token")
			if st, _, _ := httpDo(t, http.MethodGet, base+rec.MediaURL+"?token="+viewer, "", "", ""); st != http.StatusBadRequest {
				t.Errorf("private room's media with its viewer token in the URL: %d, want 400 credential_in_query (tokens never ride in URLs)", st)
			}
			// The viewer's answer carries a playback grant for the media
			// and clips, which a <video src> can use.
			_, _, raw = httpDo(t, http.MethodGet, base+"/api/rooms/show/recordings/"+rec.ID, viewer, "", "")
			grant := jsonString(t, raw, "grant")
			if st, _, b := httpDo(t, http.MethodGet, base+rec.MediaURL+"?grant="+url.QueryEscape(grant), "", "", "", "Range", "bytes=0-99"); st != http.StatusPartialContent || !bytes.Equal(b, whole[:100]) {
				t.Errorf("private room's media with its playback grant: %d", st)
			}
			if st, _, _ := httpDo(t, http.MethodGet, base+"/api/rooms/show/recordings/"+rec.ID+"/clip?from_ms=0&to_ms=1000&grant="+url.QueryEscape(grant), "", "", ""); st != http.StatusOK {
				t.Errorf("private room's clip with its playback grant: %d", st)
			}
			if st, _, _ := httpDo(t, http.MethodGet, base+"/api/rooms/show/recordings?grant="+url.QueryEscape(grant), "", "", ""); st != http.StatusUnauthorized {
				t.Errorf("the list with a grant: %d, want 401 (a grant opens its recording's media only)", st)
			}

			if st, _, _ := httpDo(t, http.MethodDelete, base+"/api/rooms/show/recordings/"+rec.ID, pushKey, "", ""); st != http.StatusForbidden && st != http.StatusUnauthorized {
				t.Errorf("delete by the anchor: %d", st)
			}
			if st, _, b := httpDo(t, http.MethodDelete, base+"/api/rooms/show/recordings/"+rec.ID, admin, "", ""); st != http.StatusNoContent {
				t.Fatalf("delete: %d %s", st, b)
			}
			st, _, b := httpDo(t, http.MethodGet, base+"/api/rooms/show/recordings", admin, "", "")
			if st != http.StatusOK || !bytes.Contains(b, []byte(`"recordings":[]`)) || !bytes.Contains(b, []byte(`"storage_bytes":0`)) {
				t.Errorf("after delete: %d %s", st, b)
			}
			if st, _, _ := httpDo(t, http.MethodGet, base+rec.MediaURL, admin, "", ""); st != http.StatusNotFound {
				t.Errorf("deleted media: %d", st)
			}
		})
	}
}
