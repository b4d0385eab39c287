package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir stores images as files in one directory.
type Dir struct{ dir string }

// NewDir uses directory dir, made on the first upload.
func NewDir(dir string) (*Dir, error) {
	if dir == "" {
		return nil, fmt.Errorf("images: no directory")
	}
	return &Dir{dir: dir}, nil
}

// Put writes data to name through a temporary file, so a reader never sees
// half an image.
func (d *Dir) Put(ctx context.Context, name, contentType string, data []byte) error {
	if !ValidName(name) {
		return fmt.Errorf("images: bad name %q", name)
	}
	if err := os.MkdirAll(d.dir, 0o750); err != nil {
		return fmt.Errorf("images: %w", err)
	}
	f, err := os.CreateTemp(d.dir, ".upload-*")
	if err != nil {
		return fmt.Errorf("images: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp)
		return fmt.Errorf("images: write: %w", errors.Join(werr, cerr))
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("images: %w", err)
	}
	return nil
}

// Open reads image name.
func (d *Dir) Open(ctx context.Context, name string) (io.ReadCloser, string, int64, error) {
	if !ValidName(name) {
		return nil, "", 0, ErrNotFound
	}
	f, err := os.Open(filepath.Join(d.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", 0, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return nil, "", 0, fmt.Errorf("images: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, "", 0, fmt.Errorf("images: %w", err)
	}
	return f, TypeOf(name), st.Size(), nil
}
