package images_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/livesell/livesell/commerce/images"
)

// Smallest headers that http.DetectContentType recognises.
var (
	PNG  = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 64)...)
	JPEG = append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte{2}, 64)...)
	WEBP = append([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{3}, 64)...)
)

func TestSniff(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		ct   string
		err  error
	}{
		{"png", PNG, "image/png", nil},
		{"jpeg", JPEG, "image/jpeg", nil},
		{"webp", WEBP, "image/webp", nil},
		{"gif", []byte("GIF89a......"), "", images.ErrType},
		{"svg (script inside)", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "", images.ErrType},
		{"html", []byte("<html><body>hi"), "", images.ErrType},
		{"empty", nil, "", images.ErrType},
		{"too large", append(append([]byte{}, PNG...), make([]byte, images.MaxBytes)...), "", images.ErrTooLarge},
	}
	for _, c := range cases {
		ct, ext, err := images.Sniff(c.data)
		if !errors.Is(err, c.err) || ct != c.ct {
			t.Fatalf("%s: %q %q %v; want %q %v", c.name, ct, ext, err, c.ct, c.err)
		}
	}
	if n := images.Name(PNG, ".png"); !images.ValidName(n) || images.TypeOf(n) != "image/png" {
		t.Fatalf("name %q", n)
	}
	for _, bad := range []string{"../etc/passwd", "abc.png", strings.Repeat("a", 40) + ".gif", strings.Repeat("A", 40) + ".png"} {
		if images.ValidName(bad) {
			t.Fatalf("%q is valid", bad)
		}
	}
}

// storeContract: what any Store must do.
func storeContract(t *testing.T, s images.Store) {
	t.Helper()
	ctx := context.Background()
	for _, data := range [][]byte{PNG, JPEG, WEBP} {
		ct, ext, err := images.Sniff(data)
		if err != nil {
			t.Fatal(err)
		}
		name := images.Name(data, ext)
		if err := s.Put(ctx, name, ct, data); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, name, ct, data); err != nil { // the same bytes again
			t.Fatal(err)
		}
		rc, gotCT, size, err := s.Open(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, data) || gotCT != ct || size != int64(len(data)) {
			t.Fatalf("%s: read back %d bytes %q size %d", name, len(got), gotCT, size)
		}
	}
	if _, _, _, err := s.Open(ctx, strings.Repeat("0", 40)+".png"); !errors.Is(err, images.ErrNotFound) {
		t.Fatalf("missing image: %v", err)
	}
	if _, _, _, err := s.Open(ctx, "../../secret"); !errors.Is(err, images.ErrNotFound) {
		t.Fatalf("a path: %v", err)
	}
	if err := s.Put(ctx, "../x.png", "image/png", PNG); err == nil {
		t.Fatal("a path was written")
	}
}

func TestDirStore(t *testing.T) {
	s, err := images.Open(context.Background(), "", t.TempDir(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	storeContract(t, s)
}

// TestS3Store runs the contract against an S3 server (gofakes3) in this
// process, on loopback, reached through minio-go as a real store would be.
func TestS3Store(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	s, err := images.Open(ctx, "s3+http://"+host+"/shop-images/products?region=us-east-1", "", "key", "secret")
	if err != nil {
		t.Fatal(err)
	}
	storeContract(t, s)
	for _, bad := range []string{"http://" + host + "/b", "s3://" + host, "s3://key:secret@" + host + "/b"} {
		if _, err := images.Open(ctx, bad, "", "k", "s"); err == nil {
			t.Fatalf("store URL %q accepted", bad)
		}
	}
}
