package recording

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/livesell/livesell/internal/objstore"
)

// S3Options reach an S3-compatible store.
type S3Options = objstore.Options

// S3 stores recordings as objects of one bucket.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
}

// NewS3 connects to the store and makes the bucket if it does not exist.
func NewS3(ctx context.Context, o S3Options) (*S3, error) {
	c, err := objstore.Connect(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	return &S3{c: c, bucket: o.Bucket, prefix: strings.Trim(o.Prefix, "/")}, nil
}

func (s *S3) key(k string) string {
	if s.prefix == "" {
		return k
	}
	return s.prefix + "/" + k
}

// Put uploads one object.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	if !validKey(key) {
		return fmt.Errorf("recording: bad key %q", key)
	}
	if _, err := s.c.PutObject(ctx, s.bucket, s.key(key), bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("recording: s3 put %s: %w", key, err)
	}
	return nil
}

// Get downloads one object.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if !validKey(key) {
		return nil, ErrNotFound
	}
	obj, err := s.c.GetObject(ctx, s.bucket, s.key(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("recording: s3 get: %w", err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		return nil, fmt.Errorf("recording: s3 get %s: %w", key, err)
	}
	return b, nil
}

// List lists the objects under prefix.
func (s *S3) List(ctx context.Context, prefix string) ([]Object, error) {
	var out []Object
	for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.key(prefix), Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("recording: s3 list: %w", o.Err)
		}
		k := o.Key
		if s.prefix != "" {
			k = strings.TrimPrefix(k, s.prefix+"/")
		}
		out = append(out, Object{Key: k, Size: o.Size, Modified: o.LastModified})
	}
	return out, nil
}

// Delete removes one object.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return ErrNotFound
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.key(key), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("recording: s3 delete %s: %w", key, err)
	}
	return nil
}
