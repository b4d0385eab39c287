package recording

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// TestRetentionSweep: finished recordings older than the retention are
// deleted (every object of theirs), younger and unfinished ones are kept,
// and the storage used falls by what they took.
func TestRetentionSweep(t *testing.T) {
	ctx := context.Background()
	st, _ := NewDir(t.TempDir())
	m := &Manager{opt: Options{Store: st, Retention: time.Hour}, log: slog.New(slog.DiscardHandler), active: map[string]*active{}}
	now := time.Now()
	put := func(id string, ended time.Duration, finished bool) {
		r := Recording{ID: id, Room: "shop", State: StateRecording, StartedAt: now.Add(-ended - time.Minute), HeaderBytes: 100,
			Segments: []SegmentInfo{{Seq: 0, StartMs: 0, EndMs: 4000, Bytes: 1000}}, Bytes: 1100}
		if finished {
			e := now.Add(-ended)
			r.State, r.EndedAt = StateComplete, &e
		}
		if err := st.Put(ctx, headerKey("shop", id), make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		if err := st.Put(ctx, segmentKey("shop", id, 0), make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		if err := saveManifest(ctx, st, r); err != nil {
			t.Fatal(err)
		}
	}
	put("rec_20260101T000000_old", 2*time.Hour, true)
	put("rec_20260101T000000_new", 10*time.Minute, true)
	put("rec_20260101T000000_live", 3*time.Hour, false)
	list, before, err := m.List(ctx, "shop")
	if err != nil || len(list) != 3 {
		t.Fatalf("List = %d recordings, %v", len(list), err)
	}
	if list[0].ExpiresAt == nil && list[1].ExpiresAt == nil {
		t.Errorf("finished recordings show no expires_at")
	}
	n, err := m.Sweep(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want the one old finished recording", n, err)
	}
	list, after, err := m.List(ctx, "shop")
	if err != nil || len(list) != 2 {
		t.Fatalf("after the sweep: %d recordings, %v", len(list), err)
	}
	for _, r := range list {
		if r.ID == "rec_20260101T000000_old" {
			t.Errorf("%s survived", r.ID)
		}
	}
	if objs, _ := st.List(ctx, "shop/rec_20260101T000000_old/"); len(objs) != 0 {
		t.Errorf("objects left of the expired recording: %+v", objs)
	}
	if before-after < 1100 {
		t.Errorf("storage %d -> %d: the expired recording's 1100 bytes not freed", before, after)
	}
}
