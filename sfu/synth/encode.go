package synth

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// tmpSeq numbers EncodeMedia's temporary files within this process.
var tmpSeq atomic.Int64

// Layer sizes of EncodeMedia's simulcast layers, lowest first.
var mediaSizes = [][2]int{{320, 180}, {640, 360}}

// EncodeMedia writes real, decodable test media into dir with ffmpeg (a
// moving test pattern and a tone, secs seconds at 30 frames a second, a
// keyframe every second): layer0.ivf and layer1.ivf (VP8, 320x180 and
// 640x360), layer0.h264 and layer1.h264 (H.264 constrained baseline, Annex
// B), and audio.ogg (Opus, one 20 ms packet per page). Files already there
// are kept. It needs ffmpeg on PATH.
func EncodeMedia(ctx context.Context, dir string, secs int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	t := strconv.Itoa(secs)
	run := func(out string, args ...string) error {
		path := filepath.Join(dir, out)
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		// A name of this call's own: test packages running side by side
		// may encode the same shared directory at once; the rename makes
		// one complete file win.
		tmp := fmt.Sprintf("%s.%d.%d.tmp", path, os.Getpid(), tmpSeq.Add(1))
		defer os.Remove(tmp)
		args = append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)
		cmd := exec.CommandContext(ctx, "ffmpeg", append(args, tmp)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("synth: ffmpeg %s: %w: %s", out, err, b)
		}
		return os.Rename(tmp, path)
	}
	for i, sz := range mediaSizes {
		src := fmt.Sprintf("testsrc2=size=%dx%d:rate=30", sz[0], sz[1])
		if err := run(fmt.Sprintf("layer%d.ivf", i), "-f", "lavfi", "-i", src, "-t", t, "-c:v", "libvpx",
			"-deadline", "realtime", "-cpu-used", "8", "-b:v", strconv.Itoa(300*(i+1))+"k", "-g", "30", "-keyint_min", "30",
			"-auto-alt-ref", "0", "-lag-in-frames", "0", "-f", "ivf"); err != nil {
			return err
		}
		if err := run(fmt.Sprintf("layer%d.h264", i), "-f", "lavfi", "-i", src, "-t", t, "-c:v", "libx264",
			"-profile:v", "baseline", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
			"-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-threads", "1", "-x264-params", "slices=1:sliced-threads=0:repeat-headers=1",
			"-b:v", strconv.Itoa(300*(i+1))+"k", "-bsf:v", "h264_mp4toannexb", "-f", "h264"); err != nil {
			return err
		}
	}
	return run("audio.ogg", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", t, "-ac", "2",
		"-c:a", "libopus", "-b:a", "48k", "-frame_duration", "20", "-page_duration", "20000", "-f", "ogg")
}
