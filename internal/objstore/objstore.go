// Package objstore reaches the S3-compatible object store that product
// images and recordings can live in: one URL form and one connection rule,
// so both stores read their settings the same way.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Options reach an S3-compatible store.
type Options struct {
	Endpoint  string // host[:port]
	Secure    bool   // TLS
	Bucket    string
	Prefix    string // of every object name ("" = none)
	Region    string
	AccessKey string
	SecretKey string
}

// ParseURL reads "s3://host[:port]/bucket[/prefix]?region=R" (TLS) or
// "s3+http://…" (plain, e.g. a MinIO on the host). The access key and
// secret are given apart: a URL that carries them is refused, so they
// never end up in a log line or a process list.
func ParseURL(rawURL, accessKey, secretKey string) (Options, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Options{}, fmt.Errorf("store URL: %w", err)
	}
	if u.User != nil {
		return Options{}, errors.New("put the S3 access key and secret in their own settings, not in the URL")
	}
	if u.Scheme != "s3" && u.Scheme != "s3+http" {
		return Options{}, fmt.Errorf("store URL must be s3:// or s3+http://, not %q", u.Scheme)
	}
	bucket, prefix, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
	if u.Host == "" || bucket == "" {
		return Options{}, errors.New("store URL must name a host and a bucket: s3://host/bucket")
	}
	return Options{Endpoint: u.Host, Secure: u.Scheme == "s3", Bucket: bucket, Prefix: prefix,
		Region: u.Query().Get("region"), AccessKey: accessKey, SecretKey: secretKey}, nil
}

// Connect returns a client of the store and makes the bucket if it does
// not exist yet.
func Connect(ctx context.Context, o Options) (*minio.Client, error) {
	c, err := minio.New(o.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""), Secure: o.Secure, Region: o.Region})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	ok, err := c.BucketExists(ctx, o.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 bucket %s: %w", o.Bucket, err)
	}
	if !ok {
		if err := c.MakeBucket(ctx, o.Bucket, minio.MakeBucketOptions{Region: o.Region}); err != nil {
			return nil, fmt.Errorf("s3 make bucket %s: %w", o.Bucket, err)
		}
	}
	return c, nil
}
