package recording

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// List returns room's recordings, newest first, and the bytes they take in
// the store (header, segments and manifest of each, as the manifests
// count them: S3 listings may lag behind the writes).
func (m *Manager) List(ctx context.Context, room string) ([]Recording, int64, error) {
	objs, err := m.opt.Store.List(ctx, room+"/")
	if err != nil {
		return nil, 0, err
	}
	var used int64
	var ids []string
	manifests := map[string]int64{}
	for _, o := range objs {
		id, rest, _ := strings.Cut(strings.TrimPrefix(o.Key, room+"/"), "/")
		if rest == "manifest.json" && validID(id) {
			ids = append(ids, id)
			manifests[id] = o.Size
		}
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	out := make([]Recording, 0, len(ids))
	for _, id := range ids {
		r, err := loadManifest(ctx, m.opt.Store, room, id)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, 0, err
		}
		used += r.Bytes + manifests[id]
		out = append(out, m.decorate(r))
	}
	return out, used, nil
}

// Get returns one recording of room.
func (m *Manager) Get(ctx context.Context, room, id string) (Recording, error) {
	if !validID(id) {
		return Recording{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	r, err := loadManifest(ctx, m.opt.Store, room, id)
	if err != nil {
		return Recording{}, err
	}
	return m.decorate(r), nil
}

// decorate fills what the API shows beside the manifest.
func (m *Manager) decorate(r Recording) Recording {
	r.MediaURL = "/api/rooms/" + r.Room + "/recordings/" + r.ID + "/media"
	if m.opt.Retention > 0 && r.EndedAt != nil {
		exp := r.EndedAt.Add(m.opt.Retention)
		r.ExpiresAt = &exp
	}
	if r.Segments == nil {
		r.Segments = []SegmentInfo{}
	}
	if r.Gaps == nil {
		r.Gaps = r.Gaps[:0:0]
	}
	return r
}

// Delete removes one recording, which must not be in progress.
func (m *Manager) Delete(ctx context.Context, room, id string) error {
	if !validID(id) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if m.Recording(room) == id {
		return errBusy
	}
	objs, err := m.opt.Store.List(ctx, recPrefix(room, id))
	if err != nil {
		return err
	}
	if len(objs) == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	// The manifest last: a recording half deleted is still listed and can
	// be deleted again.
	slices.SortStableFunc(objs, func(a, b Object) int {
		return boolInt(strings.HasSuffix(a.Key, "/manifest.json")) - boolInt(strings.HasSuffix(b.Key, "/manifest.json"))
	})
	for _, o := range objs {
		if err := m.opt.Store.Delete(ctx, o.Key); err != nil {
			return err
		}
	}
	return nil
}

var errBusy = errors.New("recording: in progress")

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Sweep deletes the finished recordings older than the retention and
// returns how many.
func (m *Manager) Sweep(ctx context.Context, now time.Time) (int, error) {
	if m.opt.Retention <= 0 {
		return 0, nil
	}
	objs, err := m.opt.Store.List(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		parts := strings.Split(o.Key, "/")
		if len(parts) != 3 || parts[2] != "manifest.json" {
			continue
		}
		r, err := loadManifest(ctx, m.opt.Store, parts[0], parts[1])
		if err != nil || r.EndedAt == nil || now.Sub(*r.EndedAt) < m.opt.Retention {
			continue
		}
		if err := m.Delete(ctx, r.Room, r.ID); err != nil {
			return n, err
		}
		m.log.Info("recording expired", "room", r.Room, "recording", r.ID)
		n++
	}
	return n, nil
}
