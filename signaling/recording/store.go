// Package recording keeps the recordings of live rooms: it starts a
// recorder (sfu/record) on a room's tap when the room goes live and its
// record setting is on, stores the header, the segments and a manifest in
// the data directory or an S3-compatible store, serves them over HTTP
// (list, media with Range, clips cut on segment boundaries, delete) under
// the room's access rules, and deletes them when their retention ends.
package recording

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/livesell/livesell/internal/objstore"
)

// ErrNotFound is returned by a Store for a key it does not hold.
var ErrNotFound = errors.New("recording: not found")

// Object is one stored object.
type Object struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Store holds the objects of recordings under keys like
// "room/rec_id/seg-000001.mkv".
type Store interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the objects whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]Object, error)
	Delete(ctx context.Context, key string) error
}

// Open returns the store rawURL names: "" is the directory dir;
// "s3://host[:port]/bucket[/prefix]?region=R" (TLS) or "s3+http://…"
// (plain) is an S3-compatible store reached with the access key and secret
// given apart (never in the URL).
func Open(ctx context.Context, rawURL, dir, accessKey, secretKey string) (Store, error) {
	if rawURL == "" {
		return NewDir(dir)
	}
	o, err := objstore.ParseURL(rawURL, accessKey, secretKey)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	return NewS3(ctx, o)
}

// validKey accepts the keys this package makes: path segments of letters,
// digits, '-', '_' and '.', none empty or a dot name.
func validKey(key string) bool {
	if key == "" || len(key) > 512 {
		return false
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
		for _, c := range part {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return false
			}
		}
	}
	return true
}

// Dir stores objects as files under one directory.
type Dir struct{ dir string }

// NewDir uses directory dir, made on the first write.
func NewDir(dir string) (*Dir, error) {
	if dir == "" {
		return nil, errors.New("recording: no directory")
	}
	return &Dir{dir: dir}, nil
}

// Put writes data through a temporary file and fsyncs it, so that a crash
// leaves either the whole object or none.
func (d *Dir) Put(_ context.Context, key string, data []byte) error {
	if !validKey(key) {
		return fmt.Errorf("recording: bad key %q", key)
	}
	path := filepath.Join(d.dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".part-*")
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("recording: write %s: %w", key, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("recording: %w", err)
	}
	return nil
}

// Get reads one object.
func (d *Dir) Get(_ context.Context, key string) ([]byte, error) {
	if !validKey(key) {
		return nil, ErrNotFound
	}
	b, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(key)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	return b, nil
}

// List walks the directory for keys under prefix.
func (d *Dir) List(_ context.Context, prefix string) ([]Object, error) {
	var out []Object
	err := filepath.WalkDir(d.dir, func(path string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".part-") {
			return nil
		}
		rel, err := filepath.Rel(d.dir, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		out = append(out, Object{Key: key, Size: info.Size(), Modified: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recording: list: %w", err)
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Delete removes one object (and its directory once empty).
func (d *Dir) Delete(_ context.Context, key string) error {
	if !validKey(key) {
		return ErrNotFound
	}
	path := filepath.Join(d.dir, filepath.FromSlash(key))
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("recording: %w", err)
	}
	_ = os.Remove(filepath.Dir(path)) // fails while not empty
	return nil
}
