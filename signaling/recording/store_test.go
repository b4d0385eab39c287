package recording

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// storeContract: what Put stores, Get returns and List lists with its
// size, under its prefix only; Delete removes it.
func storeContract(t *testing.T, st Store) {
	ctx := context.Background()
	sizes := map[string]int{"r1/rec_a/header.mkv": 10, "r1/rec_a/seg-000000.mkv": 300000, "r1/rec_a/seg-000001.mkv": 250001, "r1/rec_a/manifest.json": 77, "r10/rec_b/manifest.json": 5}
	for k, n := range sizes {
		if err := st.Put(ctx, k, bytes.Repeat([]byte{byte(n)}, n)); err != nil {
			t.Fatal(err)
		}
	}
	objs, err := st.List(ctx, "r1/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 4 {
		t.Fatalf("List(r1/) = %+v, want the 4 objects of r1", objs)
	}
	for _, o := range objs {
		if int64(sizes[o.Key]) != o.Size {
			t.Errorf("%s: listed size %d, put %d", o.Key, o.Size, sizes[o.Key])
		}
		b, err := st.Get(ctx, o.Key)
		if err != nil || len(b) != sizes[o.Key] {
			t.Errorf("Get %s: %d bytes, %v", o.Key, len(b), err)
		}
	}
	if err := st.Delete(ctx, "r1/rec_a/seg-000000.mkv"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "r1/rec_a/seg-000000.mkv"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	for _, bad := range []string{"", "../x", "a//b", "a/./b", "a b"} {
		if err := st.Put(ctx, bad, nil); err == nil {
			t.Errorf("Put(%q) accepted", bad)
		}
	}
}

func TestDirStore(t *testing.T) {
	st, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	storeContract(t, st)
}

// TestS3Store runs the contract against an S3 server (gofakes3) in this
// process, on loopback, through minio-go.
func TestS3Store(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	st, err := Open(ctx, "s3+http://"+host+"/replays/shop?region=us-east-1", "", "key", "secret")
	if err != nil {
		t.Fatal(err)
	}
	storeContract(t, st)
	for _, bad := range []string{"http://" + host + "/b", "s3://" + host, "s3://key:secret@" + host + "/b"} {
		if _, err := Open(ctx, bad, "", "k", "s"); err == nil {
			t.Errorf("store URL %q accepted", bad)
		}
	}
	_ = fmt.Sprint
}
