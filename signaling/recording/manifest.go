package recording

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/livesell/livesell/sfu/record"
)

// Recording states.
const (
	StateRecording = "recording"
	StateComplete  = "complete"
)

// SegmentInfo describes one stored segment.
type SegmentInfo struct {
	Seq     int   `json:"seq"`
	StartMs int64 `json:"start_ms"`
	EndMs   int64 `json:"end_ms"`
	Bytes   int64 `json:"bytes"`
}

// Codecs names a recording's codecs.
type Codecs struct {
	Video string `json:"video"`
	Audio string `json:"audio,omitempty"`
}

// Recording is one recorded show: its manifest (stored as manifest.json
// beside its segments) and its JSON in the API. Media time 0 is StartedAt;
// a pause stays in the timeline as a gap.
type Recording struct {
	ID         string        `json:"id"`
	Room       string        `json:"room"`
	State      string        `json:"state"`
	StartedAt  time.Time     `json:"started_at"`
	EndedAt    *time.Time    `json:"ended_at"`
	DurationMs int64         `json:"duration_ms"`
	Bytes      int64         `json:"bytes"`
	Codecs     Codecs        `json:"codecs"`
	MIME       string        `json:"mime"`
	Segments   []SegmentInfo `json:"segments"`
	Gaps       []record.Gap  `json:"gaps"`
	MediaURL   string        `json:"media_url,omitempty"`
	ExpiresAt  *time.Time    `json:"expires_at"`
	// Grant is a playback grant for this recording's media and clips
	// (?grant=, for <video src> and download links, which cannot send the
	// viewer's token), minted for the caller; absent for anonymous callers,
	// who need none.
	Grant          string     `json:"grant,omitempty"`
	GrantExpiresAt *time.Time `json:"grant_expires_at,omitempty"`

	Tracks      record.Tracks `json:"tracks"`
	HeaderBytes int64         `json:"header_bytes"`
}

// newID returns a fresh recording id: its start time (so ids sort by
// time) and random bytes.
func newID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "rec_" + now.UTC().Format("20060102T150405") + "_" + hex.EncodeToString(b[:])
}

// validID accepts the ids newID makes.
func validID(id string) bool {
	return strings.HasPrefix(id, "rec_") && len(id) <= 64 && validKey(id) && !strings.Contains(id, "/")
}

func recPrefix(room, id string) string   { return room + "/" + id + "/" }
func manifestKey(room, id string) string { return recPrefix(room, id) + "manifest.json" }
func headerKey(room, id string) string   { return recPrefix(room, id) + "header.mkv" }
func segmentKey(room, id string, seq int) string {
	return fmt.Sprintf("%sseg-%06d.mkv", recPrefix(room, id), seq)
}

// loadManifest reads a recording's manifest.
func loadManifest(ctx context.Context, st Store, room, id string) (Recording, error) {
	b, err := st.Get(ctx, manifestKey(room, id))
	if err != nil {
		return Recording{}, err
	}
	var r Recording
	if err := json.Unmarshal(b, &r); err != nil {
		return Recording{}, fmt.Errorf("recording: manifest %s/%s: %w", room, id, err)
	}
	return r, nil
}

func saveManifest(ctx context.Context, st Store, r Recording) error {
	r.MediaURL, r.ExpiresAt, r.Grant, r.GrantExpiresAt = "", nil, "", nil
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return st.Put(ctx, manifestKey(r.Room, r.ID), b)
}
