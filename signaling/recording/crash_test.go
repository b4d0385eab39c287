package recording

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/sfu/record"
	"github.com/livesell/livesell/sfu/synth"
)

const childEnv = "LIVESELL_RECORDING_CHILD_DIR"

func testMedia(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "livesell-test-media-40s-v2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a first encode on a loaded 2-core box
	defer cancel()
	if err := synth.EncodeMedia(ctx, dir, 40); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRecorderChild is the process TestKillDuringRecording kills: it
// records a real publisher into the directory childEnv names until it is
// killed. Run alone (without childEnv) it records nothing and returns.
func TestRecorderChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		return // only a child process of TestKillDuringRecording records
	}
	media := os.Getenv("LIVESELL_RECORDING_CHILD_MEDIA")
	e, err := sfu.NewEngine(sfu.Config{ICEInterfaces: []string{"lo"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tap, err := e.Tap("crash", 8192)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := NewDir(dir)
	s := newSink(st, "crash", time.Now())
	go func() {
		_ = record.New(tap, s, record.Options{SegmentTarget: 2 * time.Second}).Run(context.Background())
	}()
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
	sess, err := e.Publish(context.Background(), sfu.PublishRequest{Room: "crash", OfferSDP: offer})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(sess.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	fmt.Println("recording", s.rec.ID)
	select {} // until killed
}

// TestKillDuringRecording kills -9 a process that records, once it has
// stored a few segments: every segment its manifest lists is whole and
// plays (alone after the header, and all together), and what was lost is
// at most the segment in progress.
func TestKillDuringRecording(t *testing.T) {
	media := testMedia(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRecorderChild$", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, "LIVESELL_RECORDING_CHILD_MEDIA="+media)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	st, _ := NewDir(dir)
	ctx := context.Background()
	var rec Recording
	deadline := time.Now().Add(90 * time.Second)
	for len(rec.Segments) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("no 4 segments recorded; child said: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
		objs, _ := st.List(ctx, "crash/")
		for _, o := range objs {
			if filepath.Base(o.Key) == "manifest.json" {
				rec, _ = loadManifest(ctx, st, "crash", filepath.Base(filepath.Dir(o.Key)))
			}
		}
	}
	// Kill it in the middle of a segment.
	time.Sleep(1500 * time.Millisecond)
	killedAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	rec, err := loadManifest(ctx, st, "crash", rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != StateRecording {
		t.Fatalf("state %q after a crash", rec.State)
	}
	lost := killedAt.Sub(rec.StartedAt) - time.Duration(rec.DurationMs)*time.Millisecond
	t.Logf("%d segments kept, %d ms recorded, %v lost at the kill", len(rec.Segments), rec.DurationMs, lost)
	if lost > 5*time.Second {
		t.Errorf("the kill lost %v, want at most the segment in progress (~2-3 s)", lost)
	}
	header, err := st.Get(ctx, headerKey("crash", rec.ID))
	if err != nil {
		t.Fatal(err)
	}
	all := append([]byte(nil), header...)
	for _, s := range rec.Segments {
		data, err := st.Get(ctx, segmentKey("crash", rec.ID, s.Seq))
		if err != nil || int64(len(data)) != s.Bytes {
			t.Fatalf("segment %d: %d bytes (manifest %d), %v", s.Seq, len(data), s.Bytes, err)
		}
		all = append(all, data...)
		moved, err := record.Rebase(data, s.StartMs)
		if err != nil {
			t.Fatal(err)
		}
		one := append(append([]byte(nil), header...), moved...)
		if d := playable(t, one); d < float64(s.EndMs-s.StartMs)/1000-0.2 {
			t.Errorf("segment %d alone plays %.3f s, want %d ms", s.Seq, d, s.EndMs-s.StartMs)
		}
	}
	if d := playable(t, all); d < float64(rec.DurationMs)/1000-0.2 {
		t.Errorf("the kept recording plays %.3f s, want %d ms", d, rec.DurationMs)
	}
}

// playable decodes data with ffmpeg (no error allowed) and returns the
// time of its last packet (ffprobe), in seconds.
func playable(t *testing.T, data []byte) float64 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "part.webm")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if dec, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough", "-enc_time_base", "-1", "-f", "null", "-").CombinedOutput(); err != nil || len(bytes.TrimSpace(dec)) > 0 {
		t.Errorf("ffmpeg decode: %v: %s", err, dec)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=pts_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	lines := bytes.Fields(out)
	if len(lines) == 0 {
		t.Fatal("ffprobe: no packets")
	}
	var last float64
	fmt.Sscanf(string(lines[len(lines)-1]), "%f", &last)
	return last + 0.033
}
