package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"

	"github.com/minio/minio-go/v7"

	"github.com/livesell/livesell/internal/objstore"
)

// S3Options reach an S3-compatible store.
type S3Options = objstore.Options

// S3 stores images as objects of one bucket.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
}

// NewS3 connects to the store and makes the bucket if it does not exist.
func NewS3(ctx context.Context, o S3Options) (*S3, error) {
	c, err := objstore.Connect(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	return &S3{c: c, bucket: o.Bucket, prefix: o.Prefix}, nil
}

func (s *S3) key(name string) string {
	if s.prefix == "" {
		return name
	}
	return path.Join(s.prefix, name)
}

// Put uploads data as object name.
func (s *S3) Put(ctx context.Context, name, contentType string, data []byte) error {
	if !ValidName(name) {
		return fmt.Errorf("images: bad name %q", name)
	}
	_, err := s.c.PutObject(ctx, s.bucket, s.key(name), bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: contentType, CacheControl: "public, max-age=31536000, immutable"})
	if err != nil {
		return fmt.Errorf("images: s3 put: %w", err)
	}
	return nil
}

// Open reads object name.
func (s *S3) Open(ctx context.Context, name string) (io.ReadCloser, string, int64, error) {
	if !ValidName(name) {
		return nil, "", 0, ErrNotFound
	}
	obj, err := s.c.GetObject(ctx, s.bucket, s.key(name), minio.GetObjectOptions{})
	if err != nil {
		return nil, "", 0, fmt.Errorf("images: s3 get: %w", err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return nil, "", 0, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return nil, "", 0, fmt.Errorf("images: s3 stat: %w", err)
	}
	return obj, TypeOf(name), st.Size, nil
}
