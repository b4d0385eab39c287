// Package images stores the product images an operator uploads: content
// sniffed (PNG, JPEG or WebP only), size-limited, named by their SHA-256 so
// that a name is immutable, and kept in the data directory by default or in
// any S3-compatible store (minio-go) when one is configured by URL.
package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/livesell/livesell/internal/objstore"
)

// MaxBytes bounds one image: under the server's 1 MiB request body limit,
// with room for a multipart envelope, so that the refusal is this
// package's JSON answer.
const MaxBytes = 1<<20 - 8<<10

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound means no image has the name.
	ErrNotFound = errors.New("images: not found")
	// ErrType means the content is not a PNG, JPEG or WebP image.
	ErrType = errors.New("images: not a PNG, JPEG or WebP image")
	// ErrTooLarge means the image is larger than MaxBytes.
	ErrTooLarge = errors.New("images: larger than the limit")
)

// Store keeps images by name.
type Store interface {
	// Put stores data under name (an existing name holds the same bytes).
	Put(ctx context.Context, name, contentType string, data []byte) error
	// Open reads image name: its bytes, content type and size; ErrNotFound
	// when there is none.
	Open(ctx context.Context, name string) (io.ReadCloser, string, int64, error)
}

var types = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}

// Sniff tells the content type and file extension of data from its bytes
// (never from what the client declared): PNG, JPEG or WebP, else ErrType;
// ErrTooLarge beyond MaxBytes.
func Sniff(data []byte) (contentType, ext string, err error) {
	if len(data) > MaxBytes {
		return "", "", fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), MaxBytes)
	}
	ct := http.DetectContentType(data)
	if ext, ok := types[ct]; ok {
		return ct, ext, nil
	}
	return "", "", fmt.Errorf("%w (its content is %s)", ErrType, ct)
}

// Name is the name of an image: the first 40 hex digits of its SHA-256 and ext.
func Name(data []byte, ext string) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:20]) + ext
}

var nameRE = regexp.MustCompile(`^[0-9a-f]{40}\.(png|jpg|webp)$`)

// ValidName reports whether name can be an image's name (no paths).
func ValidName(name string) bool { return nameRE.MatchString(name) }

// TypeOf is the content type of a valid name.
func TypeOf(name string) string {
	for ct, ext := range types {
		if strings.HasSuffix(name, ext) {
			return ct
		}
	}
	return "application/octet-stream"
}

// Open returns the store rawURL names: "" is the directory dir;
// "s3://host[:port]/bucket[/prefix]?region=R" (TLS) or "s3+http://…"
// (plain, e.g. a MinIO on the host) is an S3-compatible store reached with
// the access key and secret given apart (never in the URL).
func Open(ctx context.Context, rawURL, dir, accessKey, secretKey string) (Store, error) {
	if rawURL == "" {
		return NewDir(dir)
	}
	o, err := objstore.ParseURL(rawURL, accessKey, secretKey)
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	return NewS3(ctx, o)
}
